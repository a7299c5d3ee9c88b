using DeepSim.Imaging;

namespace DeepSim.Patches;

/// <summary>Where negatives' moving patches come from.</summary>
public enum NegativeSampling
{
    /// <summary>The paper's: a moving patch at a uniformly random position of the whole image (outside the positive's 3x3 neighbourhood).</summary>
    Random,

    /// <summary>Hard negatives: a random position within <see cref="PatchSamplingOptions.NegativeRadius"/> of the positive (outside its 3x3 neighbourhood), i.e. the near misses the prediction-error protocol punishes.</summary>
    Neighbourhood,
}

/// <summary>Options of <see cref="PatchSampler"/>; the defaults are the paper's.</summary>
public sealed record PatchSamplingOptions
{
    /// <summary>Patch side length (odd). Default 17.</summary>
    public int PatchSize { get; init; } = 17;

    /// <summary>Positive pairs per image pair; as many negatives are added. Default 2000.</summary>
    public int Count { get; init; } = 2000;

    /// <summary>Seed of the random generator; the same seed gives the same pairs.</summary>
    public int Seed { get; init; }

    /// <summary>Region kind for positive centres (ignored when a mask is given). Default Skull.</summary>
    public RegionKind Region { get; init; } = RegionKind.Skull;

    /// <summary>Threshold override for <see cref="RegionKind.Skull"/> and <see cref="RegionKind.Foreground"/>.</summary>
    public float? Threshold { get; init; }

    /// <summary>In-plane dilation of the skull region, in voxels. Default 3.</summary>
    public int DilationRadius { get; init; } = 3;

    /// <summary>Negative sampling strategy. Default Random (the paper's).</summary>
    public NegativeSampling Negatives { get; init; } = NegativeSampling.Random;

    /// <summary>Radius for <see cref="NegativeSampling.Neighbourhood"/>. Default 40 (the protocol's search radius).</summary>
    public int NegativeRadius { get; init; } = 40;

    /// <summary>Negatives never fall within this Chebyshev distance of the positive's centre. Default 1 (its 3x3 neighbourhood).</summary>
    public int ExclusionRadius { get; init; } = 1;
}

/// <summary>Samples positive and negative patch pairs from a co-registered fixed/moving image pair, as the paper does.</summary>
public static class PatchSampler
{
    /// <summary>Checks that two images can be sampled together with this patch size; throws <see cref="PatchSamplingException"/> otherwise.</summary>
    public static void Validate(MedicalImage fixedImage, MedicalImage movingImage, int patchSize)
    {
        if (fixedImage.SizeX != movingImage.SizeX || fixedImage.SizeY != movingImage.SizeY || fixedImage.SizeZ != movingImage.SizeZ)
        {
            throw new PatchSamplingException(
                PatchSamplingError.ImageGeometryMismatch,
                $"Fixed image {fixedImage.Name} is {fixedImage.SizeX}x{fixedImage.SizeY}x{fixedImage.SizeZ} but moving image {movingImage.Name} is {movingImage.SizeX}x{movingImage.SizeY}x{movingImage.SizeZ}; resample one onto the other's grid first (DeepSim does not resample silently).");
        }

        if (!fixedImage.Geometry.ApproximatelyEquals(movingImage.Geometry, 1e-3))
        {
            throw new PatchSamplingException(
                PatchSamplingError.ImageGeometryMismatch,
                $"Fixed image {fixedImage.Name} ({fixedImage.Geometry}) and moving image {movingImage.Name} ({movingImage.Geometry}) have the same size but different geometry; they are not on one grid.");
        }

        if (patchSize < 1 || patchSize % 2 == 0)
        {
            throw new PatchSamplingException(PatchSamplingError.InvalidPatchSize, $"Patch size {patchSize} is invalid: it must be odd and positive (the paper uses 17).");
        }

        if (patchSize > fixedImage.SizeX || patchSize > fixedImage.SizeY)
        {
            throw new PatchSamplingException(PatchSamplingError.InvalidPatchSize, $"Patch size {patchSize} is larger than image {fixedImage.Name} ({fixedImage.SizeX}x{fixedImage.SizeY}).");
        }
    }

    /// <summary>
    /// Samples <see cref="PatchSamplingOptions.Count"/> positives (same centre in both images, centre in the region)
    /// and, for each, one negative (the same fixed patch, a moving patch elsewhere). Results alternate positive, negative.
    /// </summary>
    public static IReadOnlyList<PatchPair> Sample(
        MedicalImage fixedImage,
        MedicalImage movingImage,
        PatchSamplingOptions options,
        MedicalImage? mask = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(fixedImage, movingImage, options.PatchSize);
        var half = options.PatchSize / 2;
        var region = new RegionOptions { Kind = options.Region, Threshold = options.Threshold, DilationRadius = options.DilationRadius, Mask = mask }.For(fixedImage);
        var candidates = region.Centers(half);
        var badFixed = NonFinitePatches.Of(fixedImage);
        var badMoving = NonFinitePatches.Of(movingImage);
        if (badFixed is not null || badMoving is not null)
        {
            // DeepSim's non-finite policy: no patch with a NaN or infinite voxel is ever sampled.
            var all = candidates.Count;
            candidates = [.. candidates.Where(c => !(badFixed?.Touches(c, half) ?? false) && !(badMoving?.Touches(c, half) ?? false))];
            if (candidates.Count == 0 && all > 0)
            {
                throw new PatchSamplingException(PatchSamplingError.EmptyRegion, $"Every patch centre of the region ({region.Description}) in {fixedImage.Name} touches a NaN or infinite voxel of {fixedImage.Name} or {movingImage.Name}; patches with non-finite voxels are never sampled.");
            }
        }

        if (candidates.Count == 0)
        {
            throw new PatchSamplingException(PatchSamplingError.EmptyRegion, $"No voxel of the region ({region.Description}) in {fixedImage.Name} lies at least {half} voxels from the border; choose another -Region, -Threshold or -Mask.");
        }

        var random = new Random(options.Seed);
        var positives = ChooseCenters(candidates, options.Count, random);
        var fixedRange = IntensityRange.Of(fixedImage);
        var movingRange = IntensityRange.Of(movingImage);
        var fixedSource = fixedImage.SourcePath ?? fixedImage.Name;
        var movingSource = movingImage.SourcePath ?? movingImage.Name;
        var result = new List<PatchPair>(positives.Count * 2);
        foreach (var c in positives)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var fixedPatch = Extract(fixedImage, c, options.PatchSize);
            result.Add(new PatchPair(fixedPatch, Extract(movingImage, c, options.PatchSize), options.PatchSize, PatchLabel.Match, c, c, fixedSource, movingSource, fixedRange, movingRange));
            var n = NegativeCenter(c, fixedImage, half, options, random, badMoving);
            result.Add(new PatchPair((float[])fixedPatch.Clone(), Extract(movingImage, n, options.PatchSize), options.PatchSize, PatchLabel.NonMatch, c, n, fixedSource, movingSource, fixedRange, movingRange));
        }

        return result;
    }

    /// <summary>Copies the square patch centred at <paramref name="centre"/> (which must fit in the image), row-major.</summary>
    public static float[] Extract(MedicalImage image, PatchCenter centre, int patchSize)
    {
        var half = patchSize / 2;
        if (centre.X - half < 0 || centre.Y - half < 0 || centre.X + half >= image.SizeX || centre.Y + half >= image.SizeY || centre.Z < 0 || centre.Z >= image.SizeZ)
        {
            throw new ArgumentOutOfRangeException(nameof(centre), centre, $"A {patchSize}x{patchSize} patch centred at {centre} leaves image {image.Name} ({image.SizeX}x{image.SizeY}x{image.SizeZ}).");
        }

        var patch = new float[patchSize * patchSize];
        var voxels = image.VoxelSpan;
        var plane = (long)image.SizeX * image.SizeY * centre.Z;
        for (var row = 0; row < patchSize; row++)
        {
            var start = (int)(plane + ((long)(centre.Y - half + row) * image.SizeX) + (centre.X - half));
            voxels.Slice(start, patchSize).CopyTo(patch.AsSpan(row * patchSize, patchSize));
        }

        return patch;
    }

    /// <summary>Chooses <paramref name="count"/> centres: without replacement when there are enough, otherwise every centre then random repeats.</summary>
    private static List<PatchCenter> ChooseCenters(List<PatchCenter> candidates, int count, Random random)
    {
        var chosen = new List<PatchCenter>(count);
        var pool = candidates.ToArray();
        while (chosen.Count < count)
        {
            // Partial Fisher-Yates over the pool: distinct centres as long as the pool lasts.
            var take = Math.Min(count - chosen.Count, pool.Length);
            for (var i = 0; i < take; i++)
            {
                var j = random.Next(i, pool.Length);
                (pool[i], pool[j]) = (pool[j], pool[i]);
                chosen.Add(pool[i]);
            }
        }

        return chosen;
    }

    private static PatchCenter NegativeCenter(PatchCenter c, MedicalImage image, int half, PatchSamplingOptions options, Random random, NonFinitePatches? badMoving)
    {
        int minX = half, maxX = image.SizeX - half - 1, minY = half, maxY = image.SizeY - half - 1;
        if (options.Negatives == NegativeSampling.Neighbourhood)
        {
            minX = Math.Max(minX, c.X - options.NegativeRadius);
            maxX = Math.Min(maxX, c.X + options.NegativeRadius);
            minY = Math.Max(minY, c.Y - options.NegativeRadius);
            maxY = Math.Min(maxY, c.Y + options.NegativeRadius);
        }

        var ex = options.ExclusionRadius;
        if ((maxX - minX + 1) * (maxY - minY + 1) <= (2 * ex + 1) * (2 * ex + 1))
        {
            throw new PatchSamplingException(PatchSamplingError.InvalidPatchSize, $"Image {image.Name} is too small for a {2 * half + 1}x{2 * half + 1} negative patch outside the {2 * ex + 1}x{2 * ex + 1} neighbourhood of {c}.");
        }

        // Draws are the same as before for images without non-finite voxels; with them, a negative whose moving patch
        // touches one is drawn again, a bounded number of times.
        for (var attempt = 0; attempt < 100_000; attempt++)
        {
            var x = random.Next(minX, maxX + 1);
            var y = random.Next(minY, maxY + 1);
            if ((Math.Abs(x - c.X) > ex || Math.Abs(y - c.Y) > ex) && !(badMoving?.Touches(new PatchCenter(x, y, c.Z), half) ?? false))
            {
                return new PatchCenter(x, y, c.Z);
            }
        }

        throw new PatchSamplingException(PatchSamplingError.EmptyRegion, $"No negative patch around {c} in the moving image is free of NaN or infinite voxels.");
    }
}
