using System.Globalization;
using System.Text.Json;

namespace DeepSim.Archive;

/// <summary>Reads QIDO-RS answers: arrays of DICOM JSON model objects (PS3.18 F.2), keyed by 8-digit hexadecimal tags.</summary>
internal static class DicomJson
{
    /// <summary>Parses the answer into one dictionary of tag (upper-case hex) to element per object.</summary>
    public static List<Dictionary<string, JsonElement>> ParseArray(byte[] body, Uri requestUri)
    {
        if (body.Length == 0)
        {
            return []; // 204 No Content: nothing matched
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new DicomWebException(DicomWebError.BadResponse, requestUri, 200, $"GET {requestUri}: the answer is not JSON ({e.Message}).", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new DicomWebException(DicomWebError.BadResponse, requestUri, 200, $"GET {requestUri}: the answer is JSON but not an array of DICOM objects.");
            }

            var result = new List<Dictionary<string, JsonElement>>();
            foreach (var item in doc.RootElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.Object)
                {
                    throw new DicomWebException(DicomWebError.BadResponse, requestUri, 200, $"GET {requestUri}: an entry of the answer is not a DICOM JSON object.");
                }

                var d = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
                foreach (var p in item.EnumerateObject())
                {
                    d[p.Name] = p.Value.Clone();
                }

                result.Add(d);
            }

            return result;
        }
    }

    /// <summary>The values of an attribute as text (person names in alphabetic form), or an empty array.</summary>
    public static string[] Values(Dictionary<string, JsonElement> item, string tag)
    {
        if (!item.TryGetValue(tag, out var element) || element.ValueKind != JsonValueKind.Object
            || !element.TryGetProperty("Value", out var values) || values.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var list = new List<string>();
        foreach (var v in values.EnumerateArray())
        {
            var text = v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => v.GetRawText(),
                JsonValueKind.Object when v.TryGetProperty("Alphabetic", out var a) && a.ValueKind == JsonValueKind.String => a.GetString(),
                _ => null,
            };
            if (text is not null)
            {
                list.Add(text);
            }
        }

        return [.. list];
    }

    /// <summary>The first value as text, or null.</summary>
    public static string? Text(Dictionary<string, JsonElement> item, string tag) => Values(item, tag) is { Length: > 0 } v ? v[0] : null;

    /// <summary>The first value as an integer, or null.</summary>
    public static int? Int(Dictionary<string, JsonElement> item, string tag) =>
        Text(item, tag) is { } t && double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= int.MinValue && d <= int.MaxValue
            ? (int)d
            : null;

    /// <summary>A required UID; a missing one makes the answer unusable.</summary>
    public static string Uid(Dictionary<string, JsonElement> item, string tag, string name, Uri requestUri) =>
        Text(item, tag) is { Length: > 0 } uid
            ? uid
            : throw new DicomWebException(DicomWebError.BadResponse, requestUri, 200, $"GET {requestUri}: an entry of the answer has no {name} ({tag}).");
}
