using System.Text;
using System.Xml;

namespace Chaos.Harness.Reports;

internal static class Printable
{
    /// <summary>
    /// Replaces characters that XML cannot hold and HTML treats as parse errors (NUL and most C0
    /// control characters, lone surrogates) with U+FFFD. A driver's error message can carry them,
    /// and XmlWriter would throw on them instead of writing the report.
    /// </summary>
    public static string Clean(string text)
    {
        StringBuilder? sb = null;
        for (var i = 0; i < text.Length; i++)
        {
            var ch = text[i];
            if (XmlConvert.IsXmlChar(ch))
            {
                sb?.Append(ch);
            }
            else if (i + 1 < text.Length && XmlConvert.IsXmlSurrogatePair(text[i + 1], ch))
            {
                sb?.Append(ch).Append(text[i + 1]);
                i++;
            }
            else
            {
                sb ??= new StringBuilder(text, 0, i, text.Length);
                sb.Append('\uFFFD');
            }
        }
        return sb?.ToString() ?? text;
    }
}
