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

    /// <summary>Negatives never fall within this Chebyshev distance of the positive's centre. Default 1 (its 3x3 neighbourhood; 3x3x3 in 3D).</summary>
    public int ExclusionRadius { get; init; } = 1;

    /// <summary>
    /// 2 (default): square in-plane patches, slice by slice. 3: cubic PatchSize^3 patches of a volume; centres keep
    /// PatchSize/2 voxels from every border including z, and Neighbourhood negatives are drawn in a cube.
    /// </summary>
    public int Dimension { get; init; } = 2;
}

/// <summary>Samples positive and negative patch pairs from a co-registered fixed/moving image pair, as the paper does.</summary>
public static class PatchSampler
{
    /// <summary>Checks that two images can be sampled together with this patch size and dimension (2: square, 3: cubic); throws <see cref="PatchSamplingException"/> otherwise.</summary>
    public static void Validate(MedicalImage fixedImage, MedicalImage movingImage, int patchSize, int dimension)
    {
        Validate(fixedImage, movingImage, patchSize);
        if (dimension is not (2 or 3))
        {
            throw new PatchSamplingException(PatchSamplingError.DimensionMismatch, $"Patch dimension {dimension} is invalid: patches are 2D (square) or 3D (cubic).");
        }

        if (dimension == 3 && fixedImage.SizeZ == 1)
        {
            throw new PatchSamplingException(PatchSamplingError.DimensionMismatch, $"Image {fixedImage.Name} is 2D ({fixedImage.SizeX}x{fixedImage.SizeY}): cubic (3D) patches need a volume; leave out -Volumetric for square patches.");
        }

        if (dimension == 3 && patchSize > fixedImage.SizeZ)
        {
            throw new PatchSamplingException(PatchSamplingError.DimensionMismatch, $"A {patchSize}x{patchSize}x{patchSize} patch does not fit volume {fixedImage.Name}, which has {fixedImage.SizeZ} slices; use a patch size of at most {(fixedImage.SizeZ % 2 == 1 ? fixedImage.SizeZ : fixedImage.SizeZ - 1)}.");
        }
    }

    /// <summary>Checks that two images can be sampled together with this patch size (square patches); throws <see cref="PatchSamplingException"/> otherwise.</summary>
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

        if (!MedicalImage.IsValidPatchSize(patchSize))
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
        Validate(fixedImage, movingImage, options.PatchSize, options.Dimension);
        var half = options.PatchSize / 2;
        var dim = options.Dimension;
        var region = new RegionOptions { Kind = options.Region, Threshold = options.Threshold, DilationRadius = options.DilationRadius, Mask = mask }.For(fixedImage);
        var candidates = dim == 3 ? region.Centers(half, half) : region.Centers(half);
        var badFixed = NonFinitePatches.Of(fixedImage);
        var badMoving = NonFinitePatches.Of(movingImage);
        if (badFixed is not null || badMoving is not null)
        {
            // DeepSim's non-finite policy: no patch with a NaN or infinite voxel is ever sampled.
            var all = candidates.Count;
            candidates = [.. candidates.Where(c => !(badFixed?.Touches(c, half, dim) ?? false) && !(badMoving?.Touches(c, half, dim) ?? false))];
            if (candidates.Count == 0 && all > 0)
            {
                throw new PatchSamplingException(PatchSamplingError.EmptyRegion, $"Every patch centre of the region ({region.Description}) in {fixedImage.Name} touches a NaN or infinite voxel of {fixedImage.Name} or {movingImage.Name}; patches with non-finite voxels are never sampled.");
            }
        }

        if (candidates.Count == 0)
        {
            throw new PatchSamplingException(PatchSamplingError.EmptyRegion, $"No voxel of the region ({region.Description}) in {fixedImage.Name} lies at least {half} voxels from the border{(dim == 3 ? " (x, y and z)" : string.Empty)}; choose another -Region, -Threshold or -Mask.");
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
            var fixedPatch = Extract(fixedImage, c, options.PatchSize, dim);
            result.Add(new PatchPair(fixedPatch, Extract(movingImage, c, options.PatchSize, dim), options.PatchSize, PatchLabel.Match, c, c, fixedSource, movingSource, fixedRange, movingRange));
            var n = dim == 3 ? NegativeCenter3D(c, fixedImage, half, options, random, badMoving) : NegativeCenter(c, fixedImage, half, options, random, badMoving);
            result.Add(new PatchPair((float[])fixedPatch.Clone(), Extract(movingImage, n, options.PatchSize, dim), options.PatchSize, PatchLabel.NonMatch, c, n, fixedSource, movingSource, fixedRange, movingRange));
        }

        return result;
    }

    /// <summary>Copies the square patch centred at <paramref name="center"/> (which must fit in the image), row-major: <see cref="MedicalImage.CopyPatch(int, int, int, int)"/>.</summary>
    public static float[] Extract(MedicalImage image, PatchCenter center, int patchSize)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.CopyPatch(center.X, center.Y, center.Z, patchSize);
    }

    /// <summary>Copies the square (<paramref name="dimension"/> 2) or cubic (3) patch centred at <paramref name="center"/>, x fastest.</summary>
    public static float[] Extract(MedicalImage image, PatchCenter center, int patchSize, int dimension)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.CopyPatch(center.X, center.Y, center.Z, patchSize, dimension);
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

    /// <summary>A negative centre in 3D: anywhere in the volume (Random) or in the cube of NegativeRadius (Neighbourhood), outside the (2 ExclusionRadius + 1)^3 cube of the positive.</summary>
    private static PatchCenter NegativeCenter3D(PatchCenter c, MedicalImage image, int half, PatchSamplingOptions options, Random random, NonFinitePatches? badMoving)
    {
        int minX = half, maxX = image.SizeX - half - 1, minY = half, maxY = image.SizeY - half - 1, minZ = half, maxZ = image.SizeZ - half - 1;
        if (options.Negatives == NegativeSampling.Neighbourhood)
        {
            var r = options.NegativeRadius;
            (minX, maxX) = (Math.Max(minX, c.X - r), Math.Min(maxX, c.X + r));
            (minY, maxY) = (Math.Max(minY, c.Y - r), Math.Min(maxY, c.Y + r));
            (minZ, maxZ) = (Math.Max(minZ, c.Z - r), Math.Min(maxZ, c.Z + r));
        }

        var ex = options.ExclusionRadius;
        var side = (2L * ex) + 1;
        if ((long)(maxX - minX + 1) * (maxY - minY + 1) * (maxZ - minZ + 1) <= side * side * side)
        {
            throw new PatchSamplingException(PatchSamplingError.InvalidPatchSize, $"Volume {image.Name} is too small for a {2 * half + 1}^3 negative patch outside the {side}^3 neighbourhood of {c}.");
        }

        for (var attempt = 0; attempt < 100_000; attempt++)
        {
            var x = random.Next(minX, maxX + 1);
            var y = random.Next(minY, maxY + 1);
            var z = random.Next(minZ, maxZ + 1);
            var n = new PatchCenter(x, y, z);
            if ((Math.Abs(x - c.X) > ex || Math.Abs(y - c.Y) > ex || Math.Abs(z - c.Z) > ex) && !(badMoving?.TouchesCube(n, half) ?? false))
            {
                return n;
            }
        }

        throw new PatchSamplingException(PatchSamplingError.EmptyRegion, $"No negative patch around {c} in the moving volume is free of NaN or infinite voxels.");
    }
}
