using DeepSim.Imaging;

namespace DeepSim.Patches;

/// <summary>
/// DeepSim's policy for NaN and infinite voxels (a demanding user's archive has them: failed reconstructions, masked
/// NIfTI maps with NaN outside the brain). Images keep such voxels as read, and import warns once per image with their
/// count, because rejecting the whole image would lose its good part (a NaN-masked map is valid data). Everything that
/// computes with patches keeps them out:
/// <list type="bullet">
/// <item>patch sampling never returns a patch pair in which either patch contains a non-finite voxel (positives and
/// negatives alike), so training never sees one;</item>
/// <item>scoring gives every candidate whose moving patch contains one, and every candidate of a query whose fixed patch
/// contains one, the score NaN, which the prediction-error protocol ranks last; the metric itself sees a copy of the
/// images in which non-finite voxels are replaced by the image's smallest finite value, so one bad voxel cannot poison
/// the shared sums (integral images, feature maps, intensity ranges) of all the other candidates;</item>
/// <item>intensity ranges, thresholds and regions are computed over finite voxels only.</item>
/// </list>
/// This answers each question honestly (a patch with a NaN has no similarity) without letting one voxel change the
/// answer for any other patch. A model file with NaN or infinite weights is refused (ModelFileNonFiniteWeights).
/// </summary>
public sealed class NonFinitePatches
{
    private readonly int _sizeX;
    private readonly int _sizeY;
    private readonly int[] _table; // per slice, (sizeX + 1) x (sizeY + 1) summed-area table of non-finite voxels

    private NonFinitePatches(MedicalImage image)
    {
        _sizeX = image.SizeX;
        _sizeY = image.SizeY;
        var w = _sizeX + 1;
        var plane = w * (_sizeY + 1);
        _table = new int[plane * image.SizeZ];
        var v = image.VoxelSpan;
        for (var z = 0; z < image.SizeZ; z++)
        {
            var t = _table.AsSpan(z * plane, plane);
            for (var y = 0; y < _sizeY; y++)
            {
                var rowSum = 0;
                var offset = (long)_sizeX * (y + ((long)_sizeY * z));
                for (var x = 0; x < _sizeX; x++)
                {
                    rowSum += float.IsFinite(v[(int)(offset + x)]) ? 0 : 1;
                    t[((y + 1) * w) + x + 1] = t[(y * w) + x + 1] + rowSum;
                }
            }
        }
    }

    /// <summary>The non-finite voxels of <paramref name="image"/>, or null when every voxel is finite (the usual case).</summary>
    public static NonFinitePatches? Of(MedicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return image.IsAllFinite() ? null : new NonFinitePatches(image);
    }

    /// <summary>True when the square patch of side 2 <paramref name="half"/> + 1 centred at <paramref name="centre"/> contains a non-finite voxel.</summary>
    public bool Touches(PatchCenter centre, int half)
    {
        int x0 = Math.Max(0, centre.X - half), y0 = Math.Max(0, centre.Y - half);
        int x1 = Math.Min(_sizeX, centre.X + half + 1), y1 = Math.Min(_sizeY, centre.Y + half + 1);
        if (x1 <= x0 || y1 <= y0)
        {
            return false;
        }

        var w = _sizeX + 1;
        var t = _table.AsSpan(centre.Z * w * (_sizeY + 1));
        return t[(y1 * w) + x1] - t[(y0 * w) + x1] - t[(y1 * w) + x0] + t[(y0 * w) + x0] > 0;
    }

    /// <summary>True when the cube of side 2 <paramref name="half"/> + 1 centred at <paramref name="centre"/> (a 3D patch) contains a non-finite voxel.</summary>
    public bool TouchesCube(PatchCenter centre, int half)
    {
        var planes = _table.Length / ((_sizeX + 1) * (_sizeY + 1));
        for (var z = Math.Max(0, centre.Z - half); z <= Math.Min(planes - 1, centre.Z + half); z++)
        {
            if (Touches(centre with { Z = z }, half))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><see cref="Touches(PatchCenter, int)"/> for <paramref name="dimension"/> 2, <see cref="TouchesCube"/> for 3.</summary>
    public bool Touches(PatchCenter centre, int half, int dimension) => dimension == 3 ? TouchesCube(centre, half) : Touches(centre, half);

    /// <summary>A copy of <paramref name="image"/> with every NaN or infinite voxel replaced by the smallest finite voxel (0 if none).</summary>
    public static MedicalImage Finite(MedicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var voxels = image.GetVoxels();
        var min = float.PositiveInfinity;
        foreach (var v in voxels)
        {
            if (float.IsFinite(v) && v < min)
            {
                min = v;
            }
        }

        var fill = float.IsFinite(min) ? min : 0f;
        for (var i = 0; i < voxels.Length; i++)
        {
            if (!float.IsFinite(voxels[i]))
            {
                voxels[i] = fill;
            }
        }

        return new MedicalImage(voxels, image.SizeX, image.SizeY, image.SizeZ, image.Geometry, image.Modality, image.SourcePath, image.Format, image.Metadata);
    }
}
