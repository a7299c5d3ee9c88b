namespace DeepSim.Learning;

/// <summary>
/// Dense feature vectors of an image from one branch of a <see cref="FeatureSimilarityModel"/>, on the image's own
/// voxel grid: <see cref="Values"/> holds, channels last, the unit-length vector of the patch centred at every voxel,
/// index ((z * SizeY + y) * SizeX + x) * Channels + c. Voxels closer than <see cref="Margin"/> to the x/y border
/// (where the patch does not fit) hold zero vectors. The similarity of a fixed position p and a moving position q is
/// the dot product of the fixed image's vector at p and the moving image's vector at q (a cosine in [-1, 1]). With a
/// context view (<see cref="FeatureTrainingOptions.ContextScale"/>) each vector is the patch vector followed by the
/// context vector (times the model's ContextWeight in the fixed maps), so the dot product is the patch cosine plus
/// ContextWeight times the context cosine.
/// </summary>
/// <param name="Values">The vectors, channels last.</param>
/// <param name="Channels">Length of a vector.</param>
/// <param name="SizeX">Image width.</param>
/// <param name="SizeY">Image height.</param>
/// <param name="SizeZ">Number of slices (each slice is processed as a 2D image).</param>
/// <param name="Margin">Half the patch size: the width of the zero border.</param>
public sealed record FeatureMaps(float[] Values, int Channels, int SizeX, int SizeY, int SizeZ, int Margin)
{
    /// <summary>Offset of the vector at (x, y, z) in <see cref="Values"/>.</summary>
    public long IndexOf(int x, int y, int z = 0) => ((((long)z * SizeY) + y) * SizeX + x) * Channels;

    /// <summary>The dot product of this map's vector at (px, py, pz) and <paramref name="other"/>'s at (qx, qy, qz).</summary>
    public float Dot(int px, int py, int pz, FeatureMaps other, int qx, int qy, int qz)
    {
        ArgumentNullException.ThrowIfNull(other);
        var a = Values.AsSpan((int)IndexOf(px, py, pz), Channels);
        var b = other.Values.AsSpan((int)other.IndexOf(qx, qy, qz), Channels);
        return FeatureSimilarityModel.Dot(a, b);
    }
}
