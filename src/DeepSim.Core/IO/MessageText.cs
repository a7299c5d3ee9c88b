using System.Text;

namespace DeepSim.IO;

/// <summary>
/// Makes text from files (DICOM header values, model names, file names) safe to print in a message: control characters,
/// escape sequences among them, are shown as <c>\xNN</c> instead of reaching the terminal raw.
/// </summary>
public static class MessageText
{
    /// <summary>The text with every control character (C0, DEL, C1) replaced by a visible <c>\xNN</c> escape; null stays null.</summary>
    public static string Clean(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var i = IndexOfControl(text);
        if (i < 0)
        {
            return text;
        }

        var sb = new StringBuilder(text.Length + 8);
        sb.Append(text, 0, i);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (IsControl(c))
            {
                sb.Append("\\x").Append(((int)c).ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }

    /// <summary>As <see cref="Clean(string)"/>, for optional text.</summary>
    public static string? CleanOrNull(string? text) => text is null ? null : Clean(text);

    private static int IndexOfControl(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (IsControl(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsControl(char c) => c < 0x20 || (c >= 0x7F && c <= 0x9F);
}
