using DeepSim.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// Unsupervised pre-training of the two convolutional branches of a <see cref="FeatureSimilarityModel"/> as denoising
/// convolutional autoencoders (<see cref="FeatureTrainingOptions.PretrainSteps"/>): each step samples crops exactly as
/// the supervised trainer does (same sampler and augmentation, from its own seeded stream), standardises them as the
/// network's input, sets a random fraction (<see cref="FeatureTrainingOptions.PretrainMaskFraction"/>) of the input
/// values to 0 (the local mean: masking noise), encodes the corrupted crop densely with the branch's own layers (unit
/// feature vectors, as the score uses them), and decodes every feature vector with a linear map back to the clean
/// input patch it sees (its receptive field, NetworkField^2 or ^3 values). The loss is the mean squared error against
/// the clean input; the fixed-image and moving-image branches are trained in the same steps on the two images of each
/// crop, with one Adam optimiser. The decoders are discarded afterwards: the supervised training starts from the
/// encoders.
/// </summary>
/// <remarks>
/// End to end rather than layer by layer: the branch is one short stack of dilated 3x3 convolutions and a 1x1
/// projection whose deeper layers only see a whole patch together, so a layer-wise stack would need a decoder per layer
/// and several times the steps for the same budget, and it would leave the final projection (the features the cosine
/// reads) untrained. The context streams of a context view are not pre-trained (they start from their usual random
/// initialisation).
/// </remarks>
internal static class ConvAutoencoderPretrainer
{
    /// <summary>
    /// Pre-trains copies of the two branches for <see cref="FeatureTrainingOptions.PretrainSteps"/> steps and returns
    /// them with the reconstruction loss (MSE per input value, both branches averaged) of every step.
    /// </summary>
    /// <param name="images">The trainer's range-scaled image pairs.</param>
    /// <param name="fixedInit">The fixed-image branch's initial layers (not changed).</param>
    /// <param name="movingInit">The moving-image branch's initial layers (not changed).</param>
    /// <param name="options">The training options (validated by the caller).</param>
    /// <param name="progress">Receives a report every <see cref="FeatureTrainingOptions.ProgressEverySteps"/> steps and at the end.</param>
    /// <param name="cancellationToken">Checked between steps.</param>
    public static (ConvLayer[] Fixed, ConvLayer[] Moving, double[] Losses) Pretrain(
        IReadOnlyList<(float[] Fixed, float[] Moving, int SizeX, int SizeY, int SizeZ)> images,
        ConvLayer[] fixedInit,
        ConvLayer[] movingInit,
        FeatureTrainingOptions options,
        IProgress<TrainingProgress>? progress,
        CancellationToken cancellationToken)
    {
        var steps = options.PretrainSteps;
        // Its own stream: the supervised training then draws the same crops, augmentations and queries as without.
        var rng = new Random((int)(TorchTraining.DeriveSeed(options.Seed, 11) & int.MaxValue));
        TorchRuntime.EnsureInitialized();
        var dims = options.Dimensions;
        var s = options.CropSize;
        var field = options.NetworkField;
        var inputSide = s - options.PatchSize + field;
        var b = options.CropsPerBatch;
        long[] inputShape = dims == 3 ? [b, 1, inputSide, inputSide, inputSide] : [b, 1, inputSide, inputSide];
        long[] channelsLast = dims == 3 ? [0, 2, 3, 4, 1] : [0, 2, 3, 1];
        var inputLength = FeatureSimilarityTrainer.Power(inputSide, dims);
        var patchLength = FeatureSimilarityTrainer.Power(field, dims);
        var outSide = s - options.PatchSize + 1;
        var fixedCrop = new float[FeatureSimilarityTrainer.Power(s, dims)];
        var movingCrop = new float[fixedCrop.Length];
        var structure = new double[FeatureSimilarityTrainer.Power(outSide, dims)];
        var fixedClean = new float[b * inputLength];
        var movingClean = new float[b * inputLength];
        var fixedNoisy = new float[b * inputLength];
        var movingNoisy = new float[b * inputLength];
        var losses = new double[steps];
        using var scope = NewDisposeScope();
        var fixedParams = Parameters(fixedInit);
        var movingParams = Parameters(movingInit);
        var fixedDecoder = Decoder(fixedInit[^1].Outputs, patchLength, rng);
        var movingDecoder = Decoder(movingInit[^1].Outputs, patchLength, rng);
        var all = fixedParams.Concat(movingParams).SelectMany(p => new Parameter[] { p.W, p.B })
            .Concat([fixedDecoder.W, fixedDecoder.B, movingDecoder.W, movingDecoder.B]);
        using var optimizer = new HeldAdam(all, options.LearningRate, options.WeightDecay);
        double windowSum = 0;
        var windowCount = 0;
        for (var step = 1; step <= steps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var stepScope = NewDisposeScope();
            for (var c = 0; c < b; c++)
            {
                var img = images[rng.Next(images.Count)];
                if (dims == 3)
                {
                    FeatureSimilarityTrainer.SampleCrop3D(img, options, rng, fixedCrop, movingCrop, structure);
                }
                else
                {
                    FeatureSimilarityTrainer.SampleCrop(img, options, rng, fixedCrop, movingCrop, s, structure);
                }

                FeatureSimilarityModel.Prepare(options, fixedCrop, s, s, s).CopyTo(fixedClean.AsSpan(c * inputLength, inputLength));
                FeatureSimilarityModel.Prepare(options, movingCrop, s, s, s).CopyTo(movingClean.AsSpan(c * inputLength, inputLength));
            }

            Corrupt(fixedClean, fixedNoisy, options.PretrainMaskFraction, rng);
            Corrupt(movingClean, movingNoisy, options.PretrainMaskFraction, rng);
            var fixedLoss = ReconstructionLoss(fixedNoisy, fixedClean, inputShape, channelsLast, field, dims, fixedParams, fixedDecoder);
            var movingLoss = ReconstructionLoss(movingNoisy, movingClean, inputShape, channelsLast, field, dims, movingParams, movingDecoder);
            var loss = fixedLoss.add(movingLoss, HeldScalars.One).mul(HeldScalars.Of(0.5));
            var value = optimizer.Minimize(loss, "Convolutional pre-training", $"step {step}");
            losses[step - 1] = value;
            windowSum += value;
            windowCount++;
            if (progress is not null && (step % options.ProgressEverySteps == 0 || step == steps))
            {
                progress.Report(new TrainingProgress(FeatureSimilarityTrainer.PretrainingStage, 0, 1, 1, step, steps, windowSum / windowCount));
                windowSum = 0;
                windowCount = 0;
            }
        }

        return (FeatureSimilarityTrainer.Snapshot(fixedParams), FeatureSimilarityTrainer.Snapshot(movingParams), losses);
    }

    /// <summary>Masking noise: a copy of <paramref name="clean"/> with each value set to 0 with probability <paramref name="fraction"/>.</summary>
    private static void Corrupt(float[] clean, float[] noisy, double fraction, Random rng)
    {
        for (var i = 0; i < clean.Length; i++)
        {
            noisy[i] = rng.NextDouble() < fraction ? 0f : clean[i];
        }
    }

    /// <summary>
    /// The mean squared error between the clean input patch of every output position and its reconstruction: the
    /// position's unit feature vector (from the corrupted input) times the decoder's weights plus its bias.
    /// </summary>
    private static Tensor ReconstructionLoss(
        float[] noisy,
        float[] clean,
        long[] inputShape,
        long[] channelsLast,
        int field,
        int dims,
        (Parameter W, Parameter B, int Dilation)[] branch,
        (Parameter W, Parameter B) decoder)
    {
        var features = FeatureSimilarityModel.Embed(TorchTraining.FromArray(noisy, inputShape), [.. branch.Select(p => ((Tensor)p.W, (Tensor)p.B, p.Dilation))]);
        var rows = features.permute(channelsLast).reshape(-1, features.shape[1]);
        var reconstruction = rows.matmul(decoder.W.t()).add(decoder.B, HeldScalars.One);
        // The receptive field of every output position, in the same row order as the features: [N, 1, O, O(, O), F, F(, F)].
        var target = TorchTraining.FromArray(clean, inputShape);
        for (var axis = 2; axis < 2 + dims; axis++)
        {
            target = target.unfold(axis, field, 1);
        }

        var error = reconstruction - target.reshape(-1, FeatureSimilarityTrainer.Power(field, dims));
        return error.pow(HeldScalars.OfInteger(2)).mean();
    }

    private static (Parameter W, Parameter B, int Dilation)[] Parameters(ConvLayer[] layers) =>
        [.. layers.Select(l => (TorchTraining.NewParameter((float[])l.Weights.Clone(), l.WeightShape), TorchTraining.NewParameter((float[])l.Bias.Clone(), l.Outputs), l.Dilation))];

    /// <summary>A linear decoder [patch values, features], Glorot-uniform weights and zero biases.</summary>
    private static (Parameter W, Parameter B) Decoder(int features, int patchLength, Random rng)
    {
        var limit = Math.Sqrt(6.0 / (features + patchLength));
        var w = new float[patchLength * features];
        for (var i = 0; i < w.Length; i++)
        {
            w[i] = (float)(((rng.NextDouble() * 2) - 1) * limit);
        }

        return (TorchTraining.NewParameter(w, patchLength, features), TorchTraining.NewParameter(new float[patchLength], patchLength));
    }
}
