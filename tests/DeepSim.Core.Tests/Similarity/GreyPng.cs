using DeepSim.Imaging;
using DeepSim.Imaging.Formats;

namespace DeepSim.Tests.Similarity;

/// <summary>
/// The tests' one PNG loader: the project's own <see cref="PngReader"/> (tested in PngReaderTests). Grey pixels stored
/// as RGB or palette entries (R = G = B, as in the T1/PD slices) keep their exact value.
/// </summary>
public static class GreyPng
{
    public static MedicalImage Load(string path) => new PngReader().Read(path)[0];

    public static (MedicalImage Fixed, MedicalImage Moving) T1AndPd() =>
        (Load(TestData.Require("mr-t1-pd-slice/BrainT1Slice.png")), Load(TestData.Require("mr-t1-pd-slice/BrainProtonDensitySlice.png")));
}
