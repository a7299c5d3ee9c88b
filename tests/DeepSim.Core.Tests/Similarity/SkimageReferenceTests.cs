using System.Globalization;
using System.Text;
using System.Text.Json;
using DeepSim.Patches;
using DeepSim.Similarity;
using Xunit;

namespace DeepSim.Tests.Similarity;

/// <summary>The measures on real T1/PD patches against scikit-image, scikit-learn and NumPy definitions.</summary>
public class SkimageReferenceTests
{
    private const string Script = """
        import sys, json
        import numpy as np
        from skimage.metrics import normalized_mutual_information
        from sklearn.metrics import mutual_info_score

        data = np.loadtxt(sys.argv[1], ndmin=2)
        fmin, fmax, mmin, mmax = (float(v) for v in sys.argv[2:6])
        n = data.shape[1] // 2
        p = int(round(n ** 0.5))

        def labels(a, bins):
            lo, hi = float(a.min()), float(a.max())
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = np.linspace(lo, hi, bins + 1)
            lab = np.searchsorted(edges, a, side='right') - 1
            lab[a == edges[-1]] = bins - 1
            return lab

        def entropies(h):
            pxy = h / h.sum()
            def ent(q):
                q = q[q > 0]
                return float(-(q * np.log(q)).sum())
            return ent(pxy.sum(1)), ent(pxy.sum(0)), ent(pxy.ravel())

        def image_labels(a, lo, hi, bins):
            edges = np.linspace(lo, hi, bins + 1)
            lab = np.clip(np.searchsorted(edges, a, side='right') - 1, 0, bins - 1)
            return lab

        def ncc(a, b):
            if a.std() == 0 or b.std() == 0:
                return 0.0
            return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])

        def lcc(a, b, ws=5):
            vals = []
            for y in range(a.shape[0] - ws + 1):
                for x in range(a.shape[1] - ws + 1):
                    wa = a[y:y + ws, x:x + ws].ravel()
                    wb = b[y:y + ws, x:x + ws].ravel()
                    vals.append(ncc(wa, wb) ** 2)
            return float(np.mean(vals))

        def correlation_ratio(a, b, lo, hi, bins=32):
            lab = image_labels(a.ravel(), lo, hi, bins)
            m = b.ravel()
            total = ((m - m.mean()) ** 2).sum()
            if total == 0:
                return 0.0
            between = sum(m[lab == k].size * (m[lab == k].mean() - m.mean()) ** 2 for k in np.unique(lab))
            return float(between / total)

        out = []
        for row in data:
            a = row[:n].reshape(p, p)
            b = row[n:].reshape(p, p)
            with np.errstate(all='ignore'):
                nmi = normalized_mutual_information(a, b, bins=32)
            mi = mutual_info_score(labels(a.ravel(), 32), labels(b.ravel(), 32))
            h, _, _ = np.histogram2d(a.ravel(), b.ravel(), bins=32)
            h0, h1, h01 = entropies(h)
            hi, _, _ = np.histogram2d(a.ravel(), b.ravel(), bins=32, range=[[fmin, fmax], [mmin, mmax]])
            i0, i1, i01 = entropies(hi)
            out.append({
                'nmi': None if np.isnan(nmi) else float(nmi),
                'mi_sklearn': float(mi),
                'mi_numpy': h0 + h1 - h01,
                'nmi_image': (i0 + i1) / i01 if i01 > 0 else None,
                'mi_image': i0 + i1 - i01,
                'ncc': ncc(a, b),
                'lcc': lcc(a, b),
                'cr': correlation_ratio(a, b, fmin, fmax),
            })
        print(json.dumps(out))
        """;

    [SkippableFact]
    public void AllMeasuresMatchScikitImageAndNumPyOnRealPatches()
    {
        PythonOracle.Require("numpy", "skimage", "sklearn");
        var (t1, pd) = GreyPng.T1AndPd();
        var fixedRange = IntensityRange.Of(t1);
        var movingRange = IntensityRange.Of(pd);
        var pairs = new List<(float[] F, float[] M)>();
        foreach (var y in new[] { 10, 40, 75, 110, 150, 190 })
        {
            foreach (var x in new[] { 10, 30, 60, 90, 120, 150, 170 })
            {
                var c = new PatchCenter(x, y);
                pairs.Add((PatchSampler.Extract(t1, c, 17), PatchSampler.Extract(pd, c, 17)));
                var shifted = new PatchCenter(Math.Clamp(x + 4, 8, 172), Math.Clamp(y - 3, 8, 208));
                pairs.Add((PatchSampler.Extract(t1, c, 17), PatchSampler.Extract(pd, shifted, 17)));
            }
        }

        var file = Path.Combine(Path.GetTempPath(), $"deepsim-patches-{Guid.NewGuid():N}.txt");
        var text = new StringBuilder();
        foreach (var (f, m) in pairs)
        {
            text.AppendLine(string.Join(' ', f.Concat(m).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        }

        File.WriteAllText(file, text.ToString());
        JsonElement[] expected;
        try
        {
            var args = new[] { fixedRange.Min, fixedRange.Max, movingRange.Min, movingRange.Max }.Select(v => v.ToString("R", CultureInfo.InvariantCulture));
            expected = JsonSerializer.Deserialize<JsonElement[]>(PythonOracle.Run(Script, [file, .. args]))!;
        }
        finally
        {
            File.Delete(file);
        }

        Assert.Equal(pairs.Count, expected.Length);
        var nmiPatch = new NormalizedMutualInformationMetric(HistogramBinning.PerPatch());
        var miPatch = new MutualInformationMetric(HistogramBinning.PerPatch());
        var nmiImage = new NormalizedMutualInformationMetric();
        var miImage = new MutualInformationMetric();
        var compared = 0;
        var distinct = new HashSet<double>();
        for (var i = 0; i < pairs.Count; i++)
        {
            var (f, m) = pairs[i];
            var e = expected[i];
            var nmi = nmiPatch.ScorePatches(f, m, 17, fixedRange, movingRange);
            if (e.GetProperty("nmi").ValueKind == JsonValueKind.Null)
            {
                // Both patches constant: scikit-image divides 0 by 0; DeepSim defines it as 1.
                Assert.Equal(1.0, nmi);
            }
            else
            {
                Assert.Equal(e.GetProperty("nmi").GetDouble(), nmi, 1e-6);
                compared++;
                distinct.Add(Math.Round(nmi, 4));
            }

            var mi = miPatch.ScorePatches(f, m, 17, fixedRange, movingRange);
            Assert.Equal(e.GetProperty("mi_sklearn").GetDouble(), mi, 1e-6);
            Assert.Equal(e.GetProperty("mi_numpy").GetDouble(), mi, 1e-6);
            Assert.Equal(e.GetProperty("mi_image").GetDouble(), miImage.ScorePatches(f, m, 17, fixedRange, movingRange), 1e-6);
            var nmiImageExpected = e.GetProperty("nmi_image");
            Assert.Equal(nmiImageExpected.ValueKind == JsonValueKind.Null ? 1.0 : nmiImageExpected.GetDouble(), nmiImage.ScorePatches(f, m, 17, fixedRange, movingRange), 1e-6);

            // Independent NumPy definitions of the other measures (np.corrcoef; 5x5 windows, squared; eta^2).
            Assert.Equal(e.GetProperty("ncc").GetDouble(), new NormalizedCrossCorrelationMetric().ScorePatches(f, m, 17, fixedRange, movingRange), 1e-6);
            Assert.Equal(e.GetProperty("lcc").GetDouble(), new LocalCrossCorrelationMetric().ScorePatches(f, m, 17, fixedRange, movingRange), 1e-6);
            Assert.Equal(e.GetProperty("cr").GetDouble(), new CorrelationRatioMetric().ScorePatches(f, m, 17, fixedRange, movingRange), 1e-6);
        }

        // The comparison must have covered many informative pairs, not just background.
        Assert.True(compared >= 60, $"only {compared} pairs had a defined scikit-image NMI");
        Assert.True(distinct.Count >= 40, $"only {distinct.Count} distinct NMI values");
    }
}
