namespace DeepSim.Registration;

/// <summary>One optimiser iteration: level (0 = coarsest), iteration within the level, cost (lower is better) and step.</summary>
/// <param name="Level">Pyramid level, 0 = coarsest.</param>
/// <param name="Iteration">Iteration within the level, from 0.</param>
/// <param name="MetricValue">The metric's cost at this iteration: the negated similarity (-MI, -LCC, -score ...) or the MSE; lower is better.</param>
/// <param name="LearningRate">The step size used (voxels of the level).</param>
public sealed record RegistrationIteration(int Level, int Iteration, double MetricValue, double LearningRate);

/// <summary>Progress of a registration, reported after every iteration.</summary>
/// <param name="Level">Current level, 0 = coarsest.</param>
/// <param name="Levels">Number of levels.</param>
/// <param name="Iteration">Iteration within the level, from 0.</param>
/// <param name="IterationsInLevel">Iterations of this level.</param>
/// <param name="MetricValue">Current cost.</param>
/// <param name="Fraction">Overall fraction done (0..1).</param>
public sealed record RegistrationProgress(int Level, int Levels, int Iteration, int IterationsInLevel, double MetricValue, double Fraction);

/// <summary>What a registration produced: the transform (fixed point to moving point, ITK's convention) and its trace.</summary>
public sealed class RegistrationResult
{
    /// <summary>Creates a result.</summary>
    public RegistrationResult(
        IImageTransform transform,
        RegistrationTransformKind transformKind,
        string metric,
        IReadOnlyList<RegistrationIteration> trace,
        TimeSpan elapsed,
        int levels,
        double overlapFraction,
        string fixedName,
        string movingName,
        double? minJacobianDeterminant = null,
        double foldedFraction = 0,
        IReadOnlyList<string>? warnings = null)
    {
        Transform = transform;
        TransformKind = transformKind;
        Metric = metric;
        Trace = trace;
        Elapsed = elapsed;
        Levels = levels;
        OverlapFraction = overlapFraction;
        FixedName = fixedName;
        MovingName = movingName;
        MinJacobianDeterminant = minJacobianDeterminant;
        FoldedFraction = foldedFraction;
        Warnings = warnings ?? [];
    }

    /// <summary>The transform: maps a physical point of the fixed image into the moving image.</summary>
    public IImageTransform Transform { get; }

    /// <summary>The kind of transform optimised.</summary>
    public RegistrationTransformKind TransformKind { get; }

    /// <summary>The metric's name.</summary>
    public string Metric { get; }

    /// <summary>The cost per iteration and level.</summary>
    public IReadOnlyList<RegistrationIteration> Trace { get; }

    /// <summary>Total iterations over all levels.</summary>
    public int Iterations => Trace.Count;

    /// <summary>Wall-clock time of the registration.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Pyramid levels.</summary>
    public int Levels { get; }

    /// <summary>The cost at the last iteration (lower is better).</summary>
    public double FinalMetricValue => Trace.Count > 0 ? Trace[^1].MetricValue : double.NaN;

    /// <summary>Fraction of the fixed image's (masked) voxels that the final transform maps inside the moving image.</summary>
    public double OverlapFraction { get; }

    /// <summary>The fixed image's name.</summary>
    public string FixedName { get; }

    /// <summary>The moving image's name.</summary>
    public string MovingName { get; }

    /// <summary>B-spline only: the smallest Jacobian determinant over the fixed image (&lt;= 0 means the deformation folds).</summary>
    public double? MinJacobianDeterminant { get; }

    /// <summary>B-spline only: the fraction of the fixed image's voxels where the Jacobian determinant is &lt;= 0.</summary>
    public double FoldedFraction { get; }

    /// <summary>Problems worth a warning (folding, small overlap).</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>The transform's parameters when it is an ITK parametric transform, else empty.</summary>
    public double[] Parameters => Transform is IParametricTransform p ? p.Parameters : [];

    /// <inheritdoc />
    public override string ToString() => $"{TransformKind} by {Metric}: {Iterations} iterations, cost {FinalMetricValue:G5}, {Elapsed.TotalSeconds:F2} s";
}
