namespace DeepSim.Reporting;

/// <summary>
/// The viridis colour map (perceptually uniform, readable in grey and by colour-blind readers), as 256 RGB entries
/// interpolated linearly between its 11 published stops at 0, 0.1, ..., 1.
/// </summary>
internal static class Viridis
{
    private static readonly (byte R, byte G, byte B)[] _stops =
    [
        (0x44, 0x01, 0x54), (0x48, 0x24, 0x75), (0x41, 0x44, 0x87), (0x35, 0x5f, 0x8d), (0x2a, 0x78, 0x8e), (0x21, 0x91, 0x8c),
        (0x22, 0xa8, 0x84), (0x44, 0xbf, 0x70), (0x7a, 0xd1, 0x51), (0xbd, 0xdf, 0x26), (0xfd, 0xe7, 0x25),
    ];

    private static readonly (byte R, byte G, byte B)[] _table = Build();

    /// <summary>The colour for t in [0, 1] (clamped).</summary>
    public static (byte R, byte G, byte B) Map(double t)
    {
        var i = (int)Math.Round(Math.Clamp(double.IsNaN(t) ? 0 : t, 0, 1) * 255);
        return _table[i];
    }

    private static (byte R, byte G, byte B)[] Build()
    {
        var table = new (byte, byte, byte)[256];
        for (var i = 0; i < 256; i++)
        {
            var position = i / 255.0 * (_stops.Length - 1);
            var k = Math.Min((int)position, _stops.Length - 2);
            var f = position - k;
            var a = _stops[k];
            var b = _stops[k + 1];
            table[i] = (Lerp(a.R, b.R, f), Lerp(a.G, b.G, f), Lerp(a.B, b.B, f));
        }

        return table;
    }

    private static byte Lerp(byte a, byte b, double f) => (byte)Math.Round(a + ((b - a) * f));
}
