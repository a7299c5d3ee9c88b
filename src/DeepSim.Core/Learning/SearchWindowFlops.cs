using DeepSim.Patches;

namespace DeepSim.Learning;

/// <summary>
/// Floating-point operation counts (multiply and add counted separately) of search-window scoring with a fully connected
/// <see cref="SimilarityModel"/>, for benchmarks: what the shared-feature-map plans execute, what per-query windows would
/// cost, and what a full forward pass per candidate costs.
/// </summary>
public static class SearchWindowFlops
{
    /// <summary>
    /// Operations of scoring <paramref name="queries"/> queries at <paramref name="radius"/> when layer 1's moving half is
    /// computed per query over its own window (no sharing): layer 1's fixed half once per query, its moving half over all
    /// candidates, the later layers per candidate, and the final logit difference. This is what is executed when every
    /// query forms its own group (windows far apart or a tiny memory budget).
    /// </summary>
    public static long PerQueryWindows(SimilarityModel model, int queries, int radius)
    {
        ArgumentNullException.ThrowIfNull(model);
        long positions = ((2L * radius) + 1) * ((2L * radius) + 1);
        long n = model.PatchSize * model.PatchSize;
        var layers = model.Layers;
        long h1 = layers[0].Outputs;
        var perQuery = (2 * h1 * n) + (2 * h1 * n * positions) + LaterLayers(model, positions);
        return queries * perQuery;
    }

    /// <summary>
    /// Operations that <see cref="SimilarityModel.ScoreSearchWindows"/> executes for these <paramref name="centres"/> at
    /// <paramref name="radius"/>: layer 1's moving half once per position of each query group's feature map (the bounding
    /// box of the group's windows), its fixed half once per query, the later layers per candidate and the final logit
    /// difference. Depends on the centres and on the model's memory budget.
    /// </summary>
    public static long Executed(SimilarityModel model, IReadOnlyList<PatchCenter> centres, int radius)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(centres);
        ArgumentOutOfRangeException.ThrowIfNegative(radius);
        long positions = ((2L * radius) + 1) * ((2L * radius) + 1);
        long n = model.PatchSize * model.PatchSize;
        long h1 = model.Layers[0].Outputs;
        long total = 0;
        foreach (var g in new SearchWindowScorer(model, model.Scoring).PlanGroups(centres, radius))
        {
            total += 2L * h1 * n * (g.Width - model.PatchSize + 1) * (g.Height - model.PatchSize + 1);
        }

        return total + (centres.Count * ((2 * h1 * n) + LaterLayers(model, positions)));
    }

    /// <summary>
    /// Operations of scoring every candidate with a full forward pass:
    /// 2 x candidates x (sum of in x out over all layers), e.g. 2 x candidates x (578*578 + 578*300 + 300*100 + 100*2).
    /// </summary>
    public static long Naive(SimilarityModel model, int queries, int radius)
    {
        ArgumentNullException.ThrowIfNull(model);
        long positions = ((2L * radius) + 1) * ((2L * radius) + 1);
        var perCandidate = model.Layers.Sum(l => (long)l.Inputs * l.Outputs);
        return 2L * queries * positions * perCandidate;
    }

    private static long LaterLayers(SimilarityModel model, long positions)
    {
        var layers = model.Layers;
        long flops = 0;
        for (var l = 1; l < layers.Count - 1; l++)
        {
            flops += 2L * positions * layers[l].Inputs * layers[l].Outputs;
        }

        return flops + (2L * positions * layers[^1].Inputs);
    }
}
