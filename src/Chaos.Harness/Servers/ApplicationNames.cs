using System.Text;

namespace Chaos.Harness.Servers;

/// <summary>
/// Application names the server keeps whole. PostgreSQL truncates application_name to 63 bytes
/// (NAMEDATALEN - 1) without a word, so a fault that terminates backends by a longer name would match
/// nothing and the cell would pass for the wrong reason. Names are cut here instead, on a character
/// boundary, so the name the harness selects by is the name the server holds.
/// </summary>
internal static class ApplicationNames
{
    /// <summary>The most bytes of application_name PostgreSQL keeps.</summary>
    public const int MaxBytes = 63;

    /// <summary><paramref name="name"/>, cut to <see cref="MaxBytes"/> UTF-8 bytes.</summary>
    public static string Fit(string name)
    {
        if (Encoding.UTF8.GetByteCount(name) <= MaxBytes)
        {
            return name;
        }
        var cut = new StringBuilder();
        var bytes = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > MaxBytes)
            {
                break;
            }
            bytes += rune.Utf8SequenceLength;
            cut.Append(rune.ToString());
        }
        return cut.ToString();
    }
}
