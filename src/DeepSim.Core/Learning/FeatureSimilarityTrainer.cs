using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// Trains a <see cref="FeatureSimilarityModel"/> on aligned image pairs, sampling on the fly: every step draws
/// <see cref="FeatureTrainingOptions.CropsPerBatch"/> crops from random pairs (and slices), applies the same random
/// flip, 90-degree turn and small rotation to both images and independent gamma / contrast changes (and sometimes an
/// inversion of the moving image), embeds both crops densely, and minimises a softmax cross-entropy (InfoNCE) in which
/// each query position of the fixed crop must pick its own position among every position of its moving crop (near
/// misses up to a crop away) and of the batch's other crops (far negatives). This is the prediction-error protocol's
/// question, "exactly here, among the whole neighbourhood", asked directly. Everything is seeded.
/// </summary>
public static class FeatureSimilarityTrainer
{
    /// <summary>The <see cref="TrainingProgress.Stage"/> of the reports of the unsupervised pre-training (<see cref="FeatureTrainingOptions.PretrainSteps"/>).</summary>
    public const string PretrainingStage = "Convolutional pre-training";

    /// <summary>
    /// Trains a model. Every pair's images must share a size of at least <see cref="FeatureTrainingOptions.CropSize"/>
    /// in x and y, else <see cref="ArgumentException"/>. Deterministic for a given seed on a given machine.
    /// Cancellation is checked between steps and throws <see cref="OperationCanceledException"/>.
    /// </summary>
    public static FeatureSimilarityModel Train(
        IReadOnlyList<ImagePair> pairs,
        FeatureTrainingOptions options,
        IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default,
        string? name = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var images = LoadImages(pairs, options);
        var rng = new Random(options.Seed);
        var dilations = ConvLayer.DilationsFor(options.NetworkField);
        var fixedInit = InitialBranch(dilations, options, rng);
        var movingInit = InitialBranch(dilations, options, rng);
        var withContext = options.ContextScale > 0;
        // The context streams: the same layout with every dilation multiplied by the scale (drawn after the patch
        // streams, so a model without a context view starts from the same weights as before the option existed).
        var contextDilations = dilations.Select(x => x * options.ContextScale).ToArray();
        var contextOptions = options with { Channels = options.ContextChannels };
        var fixedContextInit = withContext ? InitialBranch(contextDilations, contextOptions, rng) : [];
        var movingContextInit = withContext ? InitialBranch(contextDilations, contextOptions, rng) : [];
        TorchRuntime.EnsureInitialized();
        if (options.PretrainSteps > 0)
        {
            // Unsupervised pre-training of the patch streams as denoising convolutional autoencoders (its own random
            // stream, so the supervised steps below draw the same crops and queries as without it).
            (fixedInit, movingInit, _) = ConvAutoencoderPretrainer.Pretrain(images, fixedInit, movingInit, options, progress, cancellationToken);
        }

        var s = options.CropSize;
        var dims = options.Dimensions;
        var inputSide = s - options.PatchSize + options.NetworkField;
        var outSide = s - options.PatchSize + 1;
        long[] inputShape = dims == 3 ? [options.CropsPerBatch, 1, inputSide, inputSide, inputSide] : [options.CropsPerBatch, 1, inputSide, inputSide];
        long[] channelsLast = dims == 3 ? [0, 2, 3, 4, 1] : [0, 2, 3, 1];
        var b = options.CropsPerBatch;
        var k = options.QueriesPerCrop;
        var history = new List<TrainingEpoch>();
        ConvLayer[] fixedBest;
        ConvLayer[] movingBest;
        double anchorWeight;
        ConvLayer[] fixedContextBest = [];
        ConvLayer[] movingContextBest = [];
        double contextWeight = 0;
        using (var scope = NewDisposeScope())
        {
            var fixedParams = fixedInit.Select(l => (W: TorchTraining.NewParameter(l.Weights, l.WeightShape), B: TorchTraining.NewParameter(l.Bias, l.Outputs), l.Dilation)).ToArray();
            var movingParams = movingInit.Select(l => (W: TorchTraining.NewParameter(l.Weights, l.WeightShape), B: TorchTraining.NewParameter(l.Bias, l.Outputs), l.Dilation)).ToArray();
            var fixedNet = fixedParams.Select(p => ((Tensor)p.W, (Tensor)p.B, p.Dilation)).ToArray();
            var movingNet = movingParams.Select(p => ((Tensor)p.W, (Tensor)p.B, p.Dilation)).ToArray();
            var fixedContextParams = fixedContextInit.Select(l => (W: TorchTraining.NewParameter(l.Weights, l.Outputs, l.Inputs, l.Kernel, l.Kernel), B: TorchTraining.NewParameter(l.Bias, l.Outputs), l.Dilation)).ToArray();
            var movingContextParams = movingContextInit.Select(l => (W: TorchTraining.NewParameter(l.Weights, l.Outputs, l.Inputs, l.Kernel, l.Kernel), B: TorchTraining.NewParameter(l.Bias, l.Outputs), l.Dilation)).ToArray();
            var fixedContextNet = fixedContextParams.Select(p => ((Tensor)p.W, (Tensor)p.B, p.Dilation)).ToArray();
            var movingContextNet = movingContextParams.Select(p => ((Tensor)p.W, (Tensor)p.B, p.Dilation)).ToArray();
            var all = fixedParams.Concat(movingParams).Concat(fixedContextParams).Concat(movingContextParams).SelectMany(p => new Parameter[] { p.W, p.B }).ToList();
            var anchored = options.Anchor == FeatureScoreAnchor.Lcc;
            // The anchored score's two scales, in log space: logits = exp(cosScale) * cos + exp(anchorScale) * LCC.
            // The score kept is cos + exp(anchorScale - cosScale) * LCC; exp(-cosScale) is the softmax temperature.
            var cosScale = TorchTraining.NewParameter([(float)Math.Log(1 / options.Temperature)], 1);
            var anchorScale = TorchTraining.NewParameter([(float)Math.Log(options.AnchorInitialWeight / options.Temperature)], 1);
            if (anchored)
            {
                all.Add(cosScale);
                all.Add(anchorScale);
            }

            // The context cosine's scale in the logits (log space, starting at the patch cosine's: weight 1).
            var contextScale = TorchTraining.NewParameter([(float)Math.Log(1 / options.Temperature)], 1);
            if (withContext)
            {
                all.Add(contextScale);
            }

            using var optimizer = new HeldAdam(all, options.LearningRate, options.WeightDecay);
            var totalSteps = options.Epochs * options.StepsPerEpoch;
            var fixedCrop = new float[Power(s, dims)];
            var movingCrop = new float[fixedCrop.Length];
            var inputLength = Power(inputSide, dims);
            // With a context view (2D only) every crop is cut ContextMargin wider on each side; the patch stream, the
            // queries and the LCC anchor use its centre s x s.
            var bigSide = s + (2 * options.ContextMargin);
            var fixedBig = withContext ? new float[bigSide * bigSide] : fixedCrop;
            var movingBig = withContext ? new float[bigSide * bigSide] : movingCrop;
            var contextInputSide = bigSide - (2 * options.ContextBoxRadius) - (options.Normalization == FeatureInputNormalization.Local ? 2 * options.NormalizationRadius * options.ContextScale : 0);
            var contextInputLength = contextInputSide * contextInputSide;
            var fixedContextBatch = withContext ? new float[b * contextInputLength] : [];
            var movingContextBatch = withContext ? new float[b * contextInputLength] : [];
            var fixedBatch = new float[b * inputLength];
            var movingBatch = new float[b * inputLength];
            var queries = new long[b * k];
            var structure = new double[Power(outSide, dims)];
            var positivesPerQuery = Power((2 * options.PositiveRadius) + 1, dims);
            var positiveIndex = new long[b * k * positivesPerQuery];
            var positiveLogMask = new float[positiveIndex.Length];
            var ws = (2 * options.AnchorWindowRadius) + 1;
            var windowsPerSide = s - ws + 1;
            var windowLength = Power(ws, dims);
            var windowCount = Power(windowsPerSide, dims);
            // 2D: every fixed window against every moving window. 3D: only the m^3 windows of each query's patch
            // (m = p - ws + 1) against every moving window, which keeps the table at k m^3 x n^3 per crop.
            var patchWindows = options.PatchSize - ws + 1;
            var fixedWindowCount = dims == 3 ? k * Power(patchWindows, 3) : windowCount;
            var fixedWindows = anchored ? new float[b * fixedWindowCount * windowLength] : [];
            var movingWindows = anchored ? new float[b * windowCount * windowLength] : [];
            var localQueries = new int[b * k];
            var candidates = Power(outSide, dims);
            var lcc = anchored ? new float[b * k * candidates] : [];
            var tableValues = anchored ? new float[(long)b * fixedWindowCount * windowCount] : [];
            for (var epoch = 1; epoch <= options.Epochs; epoch++)
            {
                double lossSum = 0;
                long correct = 0;
                long seen = 0;
                for (var step = 1; step <= options.StepsPerEpoch; step++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    using var stepScope = NewDisposeScope();
                    var global = ((epoch - 1) * options.StepsPerEpoch) + step - 1;
                    optimizer.LearningRate = LearningRateAt(options, global, totalSteps);

                    for (var c = 0; c < b; c++)
                    {
                        var img = images[rng.Next(images.Count)];
                        if (dims == 3)
                        {
                            SampleCrop3D(img, options, rng, fixedCrop, movingCrop, structure);
                        }
                        else
                        {
                            SampleCrop(img, options, rng, fixedBig, movingBig, bigSide, structure);
                        }

                        if (withContext)
                        {
                            Centre(fixedBig, bigSide, options.ContextMargin, fixedCrop, s);
                            Centre(movingBig, bigSide, options.ContextMargin, movingCrop, s);
                            FeatureSimilarityModel.PrepareContext(options, fixedBig, bigSide, bigSide, out _).CopyTo(fixedContextBatch.AsSpan(c * contextInputLength, contextInputLength));
                            FeatureSimilarityModel.PrepareContext(options, movingBig, bigSide, bigSide, out _).CopyTo(movingContextBatch.AsSpan(c * contextInputLength, contextInputLength));
                        }

                        FeatureSimilarityModel.Prepare(options, fixedCrop, s, s, s).CopyTo(fixedBatch.AsSpan(c * inputLength, inputLength));
                        FeatureSimilarityModel.Prepare(options, movingCrop, s, s, s).CopyTo(movingBatch.AsSpan(c * inputLength, inputLength));
                        PickQueries(structure, k, rng, queries.AsSpan(c * k, k), c * candidates);
                        for (var i = c * k; i < (c + 1) * k; i++)
                        {
                            localQueries[i] = (int)(queries[i] % candidates);
                        }

                        if (anchored)
                        {
                            var fixedArea = fixedWindowCount * windowLength;
                            var movingArea = windowCount * windowLength;
                            if (dims == 3)
                            {
                                LccAnchor.QueryWindowVectors3D(fixedCrop, s, options.AnchorWindowRadius, options.PatchSize, localQueries.AsSpan(c * k, k), fixedWindows.AsSpan(c * fixedArea, fixedArea));
                                LccAnchor.WindowVectors3D(movingCrop, s, options.AnchorWindowRadius, movingWindows.AsSpan(c * movingArea, movingArea));
                            }
                            else
                            {
                                LccAnchor.WindowVectors(fixedCrop, s, options.AnchorWindowRadius, fixedWindows.AsSpan(c * fixedArea, fixedArea));
                                LccAnchor.WindowVectors(movingCrop, s, options.AnchorWindowRadius, movingWindows.AsSpan(c * movingArea, movingArea));
                            }
                        }
                    }

                    // The anchored loss compares each query with the candidates of its own crop only (their LCC is
                    // computed exactly); the plain one also with every position of the batch's other crops.
                    var scored = anchored ? localQueries.Select(x => (long)x).ToArray() : queries;
                    Positives(scored, outSide, dims, options.PositiveRadius, positiveIndex, positiveLogMask);

                    var fx = Embed(TorchTraining.FromArray(fixedBatch, inputShape), fixedNet);
                    var mx = Embed(TorchTraining.FromArray(movingBatch, inputShape), movingNet);
                    var d = fx.shape[1];
                    var fRows = fx.permute(channelsLast).reshape(-1, d);
                    var mRows = mx.permute(channelsLast).reshape(-1, d);
                    var target = tensor(queries, dtype: ScalarType.Int64);
                    var q = fRows.index_select(0, target);
                    Tensor? contextCos = null;
                    if (withContext)
                    {
                        var fc = Embed(TorchTraining.FromArray(fixedContextBatch, [b, 1, contextInputSide, contextInputSide]), fixedContextNet);
                        var mc = Embed(TorchTraining.FromArray(movingContextBatch, [b, 1, contextInputSide, contextInputSide]), movingContextNet);
                        var dc = fc.shape[1];
                        var qc = fc.permute(0, 2, 3, 1).reshape(-1, dc).index_select(0, target);
                        var mcRows = mc.permute(0, 2, 3, 1).reshape(-1, dc);
                        contextCos = anchored
                            ? qc.view(b, k, dc).bmm(mcRows.view(b, candidates, dc).transpose(1, 2)).view(b * k, candidates)
                            : qc.matmul(mcRows.t());
                    }

                    Tensor logits;
                    if (anchored)
                    {
                        using (no_grad())
                        {
                            var table = LccAnchor.SquaredCoefficients(
                                TorchTraining.FromArray(fixedWindows, [b, fixedWindowCount, windowLength]),
                                TorchTraining.FromArray(movingWindows, [b, windowCount, windowLength]));
                            // Into one reused buffer: a fresh 120 MB array per step made the garbage collector run
                            // so often that a TorchSharp temporary was once finalised during a native call (a crash in
                            // add_Tensor, "Expected false to be true", seen in a 600-step run).
                            table.data<float>().CopyTo(tableValues);
                            var block = fixedWindowCount * windowCount;
                            for (var c = 0; c < b; c++)
                            {
                                if (dims == 3)
                                {
                                    LccAnchor.PatchScores3D(tableValues.AsSpan(c * block, block), windowsPerSide, patchWindows, k, lcc.AsSpan(c * k * candidates, k * candidates));
                                }
                                else
                                {
                                    LccAnchor.PatchScores(
                                        tableValues.AsSpan(c * block, block), windowsPerSide, patchWindows,
                                        localQueries.AsSpan(c * k, k), lcc.AsSpan(c * k * candidates, k * candidates));
                                }
                            }
                        }

                        var cos = q.view(b, k, d).bmm(mRows.view(b, candidates, d).transpose(1, 2)).view(b * k, candidates);
                        var anchor = TorchTraining.FromArray(lcc, [b * k, candidates]);
                        logits = (cos * cosScale.exp()).add(anchor * anchorScale.exp(), HeldScalars.One);
                    }
                    else
                    {
                        using var temperature = options.Temperature.ToScalar();
                        logits = q.matmul(mRows.t()).div_(temperature);
                    }

                    if (contextCos is not null)
                    {
                        logits = logits.add(contextCos * contextScale.exp(), HeldScalars.One);
                    }

                    // Every position within PositiveRadius of the true one (inside the same crop) is correct:
                    // loss = logsumexp(all candidates) - logsumexp(positives).
                    var positives = tensor(positiveIndex, [queries.Length, positivesPerQuery], dtype: ScalarType.Int64);
                    var positiveMask = tensor(positiveLogMask, [queries.Length, positivesPerQuery], dtype: ScalarType.Float32);
                    var loss = (logits.logsumexp(1) - logits.gather(1, positives).add(positiveMask, HeldScalars.One).logsumexp(1)).mean();
                    var lossValue = optimizer.Minimize(loss, "Training", $"epoch {epoch}, step {step}");

                    lossSum += lossValue * queries.Length;
                    var best = logits.argmax(1).data<long>().ToArray();
                    for (var i = 0; i < best.Length; i++)
                    {
                        if (IsPositive(scored[i], best[i], outSide, dims, options.PositiveRadius))
                        {
                            correct++;
                        }
                    }

                    seen += queries.Length;
                    if (progress is not null && step % options.ProgressEverySteps == 0 && step < options.StepsPerEpoch)
                    {
                        progress.Report(new TrainingProgress("Contrastive training", 0, epoch, options.Epochs, step, options.StepsPerEpoch, lossSum / seen, (double)correct / seen));
                    }
                }

                var record = new TrainingEpoch(epoch, lossSum / seen, (double)correct / seen, null, null);
                history.Add(record);
                progress?.Report(new TrainingProgress("Contrastive training", 0, epoch, options.Epochs, options.StepsPerEpoch, options.StepsPerEpoch, record.TrainLoss, record.TrainAccuracy));
            }

            fixedBest = Snapshot(fixedParams);
            movingBest = Snapshot(movingParams);
            anchorWeight = anchored ? Math.Exp(anchorScale.item<float>() - (double)cosScale.item<float>()) : 0;
            if (withContext)
            {
                fixedContextBest = Snapshot(fixedContextParams);
                movingContextBest = Snapshot(movingContextParams);
                // The patch cosine's scale in the logits: trained with the anchor, 1 / Temperature without.
                var patchLogScale = anchored ? (double)cosScale.item<float>() : Math.Log(1 / options.Temperature);
                contextWeight = Math.Exp(contextScale.item<float>() - patchLogScale);
            }
        }

        return new FeatureSimilarityModel(
            name ?? (dims == 3 ? $"DeepSim-CNN-{options.PatchSize}x{options.PatchSize}x{options.PatchSize}" : $"DeepSim-CNN-{options.PatchSize}x{options.PatchSize}"),
            options.PatchSize,
            fixedBest,
            movingBest,
            options,
            history,
            pairs.Count,
            DateTimeOffset.UtcNow,
            anchorWeight,
            fixedContextBest,
            movingContextBest,
            contextWeight);
    }

    /// <summary>The learning rate of step <paramref name="step"/> (from 0) of <paramref name="totalSteps"/>: cosine decay to a tenth.</summary>
    internal static double LearningRateAt(FeatureTrainingOptions options, int step, int totalSteps) =>
        options.LearningRate * (0.1 + (0.45 * (1 + Math.Cos(Math.PI * step / totalSteps))));

    /// <summary>
    /// Checks the training pairs against the crop size and range-scales every image once (shared by the two-branch and
    /// the two-channel trainers).
    /// </summary>
    internal static List<(float[] Fixed, float[] Moving, int SizeX, int SizeY, int SizeZ)> LoadImages(IReadOnlyList<ImagePair> pairs, FeatureTrainingOptions options)
    {
        if (pairs.Count == 0)
        {
            throw new ArgumentException("Training needs at least one image pair.", nameof(pairs));
        }

        var images = new List<(float[] Fixed, float[] Moving, int SizeX, int SizeY, int SizeZ)>();
        foreach (var p in pairs)
        {
            ArgumentNullException.ThrowIfNull(p);
            var f = p.Fixed;
            var m = p.Moving;
            if (f.SizeX != m.SizeX || f.SizeY != m.SizeY || f.SizeZ != m.SizeZ)
            {
                throw new ArgumentException($"Pair '{p.Name}': the fixed image {f} and the moving image {m} must have the same size.", nameof(pairs));
            }

            if (f.SizeX < options.CropSize || f.SizeY < options.CropSize)
            {
                throw new ArgumentException($"Pair '{p.Name}': the images ({f.SizeX}x{f.SizeY}) are smaller than the {options.CropSize}x{options.CropSize} training crop; lower CropSize.", nameof(pairs));
            }

            if (options.Dimensions == 3 && f.SizeZ < options.CropSize)
            {
                throw new ArgumentException($"Pair '{p.Name}': the volume ({f.SizeX}x{f.SizeY}x{f.SizeZ}) has fewer slices than the {options.CropSize}^3 training crop of a 3D model; lower CropSize or train a 2D model.", nameof(pairs));
            }

            images.Add((Scaled(f), Scaled(m), f.SizeX, f.SizeY, f.SizeZ));
        }

        return images;
    }

    private static Tensor Embed(Tensor x, (Tensor W, Tensor B, int Dilation)[] layers) => FeatureSimilarityModel.Embed(x, layers);

    internal static ConvLayer[] Snapshot((Parameter W, Parameter B, int Dilation)[] parameters) =>
        [.. parameters.Select(p => new ConvLayer((int)p.W.shape[0], (int)p.W.shape[1], (int)p.W.shape[2], p.Dilation, TorchTraining.ToArray(p.W), TorchTraining.ToArray(p.B), p.W.shape.Length - 2))];

    internal static int Power(int side, int dims) => dims == 3 ? side * side * side : side * side;

    internal static ConvLayer[] InitialBranch(int[] dilations, FeatureTrainingOptions options, Random rng)
    {
        var layers = new List<ConvLayer>();
        var inputs = 1;
        foreach (var dilation in dilations)
        {
            layers.Add(InitConv(options.Channels, inputs, 3, dilation, options.Dimensions, rng));
            inputs = options.Channels;
        }

        layers.Add(InitConv(options.FeatureDimension, inputs, 1, 1, options.Dimensions, rng));
        return [.. layers];
    }

    internal static ConvLayer InitConv(int outputs, int inputs, int kernel, int dilation, int dims, Random rng)
    {
        // He-uniform for the ReLU units.
        var taps = Power(kernel, dims);
        var limit = Math.Sqrt(6.0 / (inputs * taps));
        var w = new float[outputs * inputs * taps];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (float)(((rng.NextDouble() * 2) - 1) * limit);
        }

        return new ConvLayer(outputs, inputs, kernel, dilation, w, new float[outputs], dims);
    }

    internal static float[] Scaled(MedicalImage image)
    {
        var range = IntensityRange.Of(image);
        var result = new float[image.VoxelCount];
        FeatureSimilarityModel.Scale(image.VoxelSpan, range, result);
        return result;
    }

    /// <summary>
    /// Cuts an augmented crop pair out of one image pair (same geometry for both, bilinear, edges replicated) and
    /// fills <paramref name="structure"/> with the local standard deviation of every fixed patch of the crop.
    /// </summary>
    internal static void SampleCrop((float[] Fixed, float[] Moving, int SizeX, int SizeY, int SizeZ) img, FeatureTrainingOptions o, Random rng, Span<float> fixedCrop, Span<float> movingCrop, int side, double[] structure)
    {
        var s = o.CropSize;
        var z = rng.Next(img.SizeZ);
        var cx = ((s - 1) / 2.0) + (rng.NextDouble() * (img.SizeX - s));
        var cy = ((s - 1) / 2.0) + (rng.NextDouble() * (img.SizeY - s));
        // The crop (side >= s, wider by the context margins) is centred where an s x s crop would be.
        var half = (side - 1) / 2.0;
        var angle = 0.0;
        var flip = false;
        if (o.GeometricAugmentation)
        {
            angle = (rng.Next(4) * Math.PI / 2) + (((rng.NextDouble() * 2) - 1) * o.MaxRotationDegrees * Math.PI / 180);
            flip = rng.Next(2) == 1;
        }

        var (sin, cos) = Math.SinCos(angle);
        var slice = z * img.SizeX * img.SizeY;
        for (var v = 0; v < side; v++)
        {
            for (var u = 0; u < side; u++)
            {
                var du = flip ? half - u : u - half;
                var dv = v - half;
                var x = cx + (cos * du) - (sin * dv);
                var y = cy + (sin * du) + (cos * dv);
                fixedCrop[(v * side) + u] = Bilinear(img.Fixed, slice, img.SizeX, img.SizeY, x, y);
                movingCrop[(v * side) + u] = Bilinear(img.Moving, slice, img.SizeX, img.SizeY, x, y);
            }
        }

        if (o.IntensityAugmentation)
        {
            Jitter(fixedCrop, rng, false, 0);
            Jitter(movingCrop, rng, true, o.MovingInversionProbability);
        }

        var margin = (side - s) / 2;
        if (margin == 0)
        {
            LocalStd(fixedCrop, s, o.PatchSize, structure);
        }
        else
        {
            var centre = new float[s * s];
            Centre(fixedCrop, side, margin, centre, s);
            LocalStd(centre, s, o.PatchSize, structure);
        }
    }

    /// <summary>Copies the centre s x s of a row-major side x side crop (margin = (side - s) / 2).</summary>
    private static void Centre(ReadOnlySpan<float> crop, int side, int margin, Span<float> destination, int s)
    {
        for (var y = 0; y < s; y++)
        {
            crop.Slice(((y + margin) * side) + margin, s).CopyTo(destination.Slice(y * s, s));
        }
    }

    /// <summary>
    /// 3D: cuts a crop pair (s^3, x fastest) out of one volume pair at a random integer position, with the same random
    /// symmetry of the cube for both (an axis permutation and a flip per axis: the 90-degree turns and mirrors, exact
    /// voxel permutations, no interpolation), applies the intensity changes and fills <paramref name="structure"/> with
    /// the standard deviation of every fixed patch of the crop.
    /// </summary>
    internal static void SampleCrop3D((float[] Fixed, float[] Moving, int SizeX, int SizeY, int SizeZ) img, FeatureTrainingOptions o, Random rng, Span<float> fixedCrop, Span<float> movingCrop, double[] structure)
    {
        var s = o.CropSize;
        int x0 = rng.Next(img.SizeX - s + 1), y0 = rng.Next(img.SizeY - s + 1), z0 = rng.Next(img.SizeZ - s + 1);
        Span<int> axis = [0, 1, 2];
        Span<bool> flip = [false, false, false];
        if (o.GeometricAugmentation)
        {
            for (var i = 2; i > 0; i--)
            {
                var j = rng.Next(i + 1);
                (axis[i], axis[j]) = (axis[j], axis[i]);
            }

            for (var i = 0; i < 3; i++)
            {
                flip[i] = rng.Next(2) == 1;
            }
        }

        // Crop axis a walks along volume axis axis[a]; stride of each volume axis in the flat arrays.
        Span<int> stride = [1, img.SizeX, img.SizeX * img.SizeY];
        Span<int> step = stackalloc int[3];
        var origin = (((z0 * img.SizeY) + y0) * img.SizeX) + x0;
        for (var a = 0; a < 3; a++)
        {
            step[a] = flip[a] ? -stride[axis[a]] : stride[axis[a]];
            origin += flip[a] ? (s - 1) * stride[axis[a]] : 0;
        }

        var t = 0;
        for (var w = 0; w < s; w++)
        {
            for (var v = 0; v < s; v++)
            {
                var source = origin + (w * step[2]) + (v * step[1]);
                for (var u = 0; u < s; u++, t++, source += step[0])
                {
                    fixedCrop[t] = img.Fixed[source];
                    movingCrop[t] = img.Moving[source];
                }
            }
        }

        if (o.IntensityAugmentation)
        {
            Jitter(fixedCrop, rng, false, 0);
            Jitter(movingCrop, rng, true, o.MovingInversionProbability);
        }

        var mean = new double[structure.Length];
        LocalStandardization.BoxMoments3D(fixedCrop, s, s, s, o.PatchSize, mean, structure);
        for (var i = 0; i < structure.Length; i++)
        {
            structure[i] = Math.Sqrt(structure[i]);
        }
    }

    private static void Jitter(Span<float> crop, Random rng, bool allowInversion, double inversionProbability)
    {
        var invert = allowInversion && rng.NextDouble() < inversionProbability;
        var gamma = Math.Exp(((rng.NextDouble() * 2) - 1) * Math.Log(1.5));
        var contrast = 0.8 + (0.4 * rng.NextDouble());
        var shift = ((rng.NextDouble() * 2) - 1) * 0.1;
        for (var i = 0; i < crop.Length; i++)
        {
            var v = Math.Clamp((double)crop[i], 0, 1);
            if (invert)
            {
                v = 1 - v;
            }

            crop[i] = (float)((Math.Pow(v, gamma) * contrast) + shift);
        }
    }

    private static float Bilinear(float[] image, int slice, int sizeX, int sizeY, double x, double y)
    {
        x = Math.Clamp(x, 0, sizeX - 1);
        y = Math.Clamp(y, 0, sizeY - 1);
        var x0 = Math.Min((int)x, sizeX - 2 < 0 ? 0 : sizeX - 2);
        var y0 = Math.Min((int)y, sizeY - 2 < 0 ? 0 : sizeY - 2);
        var x1 = Math.Min(x0 + 1, sizeX - 1);
        var y1 = Math.Min(y0 + 1, sizeY - 1);
        var fx = x - x0;
        var fy = y - y0;
        var top = (image[slice + (y0 * sizeX) + x0] * (1 - fx)) + (image[slice + (y0 * sizeX) + x1] * fx);
        var bottom = (image[slice + (y1 * sizeX) + x0] * (1 - fx)) + (image[slice + (y1 * sizeX) + x1] * fx);
        return (float)((top * (1 - fy)) + (bottom * fy));
    }

    /// <summary>Standard deviation of every PxP patch of an SxS crop (row-major, (S-P+1)^2 values).</summary>
    private static void LocalStd(ReadOnlySpan<float> crop, int s, int p, double[] result)
    {
        var sum = new double[(s + 1) * (s + 1)];
        var sq = new double[(s + 1) * (s + 1)];
        for (var y = 0; y < s; y++)
        {
            for (var x = 0; x < s; x++)
            {
                var v = (double)crop[(y * s) + x];
                var i = ((y + 1) * (s + 1)) + x + 1;
                sum[i] = v + sum[i - 1] + sum[i - s - 1] - sum[i - s - 2];
                sq[i] = (v * v) + sq[i - 1] + sq[i - s - 1] - sq[i - s - 2];
            }
        }

        var o = s - p + 1;
        var n = (double)p * p;
        for (var y = 0; y < o; y++)
        {
            for (var x = 0; x < o; x++)
            {
                int a = (y * (s + 1)) + x, bb = (y * (s + 1)) + x + p, c = ((y + p) * (s + 1)) + x, d = ((y + p) * (s + 1)) + x + p;
                var mean = (sum[d] - sum[bb] - sum[c] + sum[a]) / n;
                var m2 = (sq[d] - sq[bb] - sq[c] + sq[a]) / n;
                result[(y * o) + x] = Math.Sqrt(Math.Max(0, m2 - (mean * mean)));
            }
        }
    }

    /// <summary>
    /// The candidate indices within <paramref name="radius"/> (Chebyshev, in 2 or 3 dimensions) of each query (same
    /// crop); a neighbour outside the crop repeats the query and is masked out (log-weight -1e4).
    /// </summary>
    private static void Positives(long[] queries, int side, int dims, int radius, long[] index, float[] logMask)
    {
        var area = (long)Power(side, dims);
        var zRadius = dims == 3 ? radius : 0;
        var j = 0;
        for (var i = 0; i < queries.Length; i++)
        {
            var crop = queries[i] / area;
            var (x, y, z) = Coordinates(queries[i] % area, side);
            for (var dz = -zRadius; dz <= zRadius; dz++)
            {
                for (var dy = -radius; dy <= radius; dy++)
                {
                    for (var dx = -radius; dx <= radius; dx++, j++)
                    {
                        var inside = x + dx >= 0 && x + dx < side && y + dy >= 0 && y + dy < side && z + dz >= 0 && (dims == 2 || z + dz < side);
                        index[j] = inside ? (crop * area) + ((((long)(z + dz) * side) + y + dy) * side) + x + dx : queries[i];
                        // A finite stand-in for -infinity: exp(-1e4) is exactly 0 in float32, and no inf - inf reaches the gradient.
                        logMask[j] = inside ? 0f : -1e4f;
                    }
                }
            }
        }
    }

    private static bool IsPositive(long query, long chosen, int side, int dims, int radius)
    {
        var area = (long)Power(side, dims);
        if (query / area != chosen / area)
        {
            return false;
        }

        var a = Coordinates(query % area, side);
        var c = Coordinates(chosen % area, side);
        return Math.Abs(a.X - c.X) <= radius && Math.Abs(a.Y - c.Y) <= radius && Math.Abs(a.Z - c.Z) <= radius;
    }

    /// <summary>(x, y, z) of a grid index (z * side + y) * side + x; z is 0 for a 2D grid's indices.</summary>
    private static (int X, int Y, int Z) Coordinates(long local, int side) =>
        ((int)(local % side), (int)(local / side % side), (int)(local / side / side));

    /// <summary>Draws query positions with probability proportional to the fixed patch's structure (plus a floor, so flat crops still train).</summary>
    internal static void PickQueries(double[] structure, int count, Random rng, Span<long> destination, long offset)
    {
        double total = 0;
        var max = structure.Max();
        var floor = Math.Max(1e-6, 0.02 * max);
        var cumulative = new double[structure.Length];
        for (var i = 0; i < structure.Length; i++)
        {
            total += structure[i] + floor;
            cumulative[i] = total;
        }

        for (var j = 0; j < count; j++)
        {
            var r = rng.NextDouble() * total;
            var idx = Array.BinarySearch(cumulative, r);
            idx = idx < 0 ? ~idx : idx;
            destination[j] = offset + Math.Min(idx, structure.Length - 1);
        }
    }
}
