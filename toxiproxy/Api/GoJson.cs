using System.Text;
using System.Text.Json;

namespace Toxiproxy.Api;

/// <summary>The Go type a JSON value is decoded into, named as Go's error messages name it.</summary>
internal enum GoKind
{
    String,
    Bool,
    Int64,
    Int,
    Float32,

    /// <summary>A struct with no fields we read (zerolog.Logger, toxics.NoopToxic): any object or null.</summary>
    Struct,
}

/// <summary>One field of a Go struct as encoding/json sees it: wire name, kind, and Go type name.</summary>
internal readonly record struct GoField(string Name, GoKind Kind, string? TypeName = null)
{
    public string GoType => TypeName ?? Kind switch
    {
        GoKind.String => "string",
        GoKind.Bool => "bool",
        GoKind.Int64 => "int64",
        GoKind.Int => "int",
        GoKind.Float32 => "float32",
        _ => "struct {}",
    };
}

/// <summary>
/// Request bodies decoded the way Toxiproxy's Go server decodes them (encoding/json into a
/// struct), so that we accept exactly what it accepts and refuse what it refuses with its words:
/// field names match case-insensitively and the last occurrence wins, unknown fields and
/// <c>null</c> are ignored, anything after the first JSON value is ignored (json.Decoder reads one
/// value), invalid UTF-8 and lone surrogates become U+FFFD, and the first type mismatch in document
/// order is the error ("json: cannot unmarshal string into Go struct field Proxy.name of type string").
/// </summary>
internal static class GoJson
{
    /// <summary>Go's json package refuses nesting deeper than this.</summary>
    private const int MaxDepth = 10_000;

    /// <summary>
    /// The first JSON value of <paramref name="body"/>, or null for a literal <c>null</c> (which Go
    /// decodes into a struct as "change nothing"). Syntax errors are 400s worded as Go words them.
    /// </summary>
    public static JsonElement? Parse(byte[] body, int length)
    {
        var bytes = Sanitize(body.AsSpan(0, length));
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = MaxDepth });
        try
        {
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement.Clone();
            return root.ValueKind == JsonValueKind.Null ? null : root;
        }
        catch (JsonException e)
        {
            throw ApiError.BadRequestBody.With(SyntaxError(bytes, e));
        }
    }

    /// <summary>Go replaces invalid UTF-8 with U+FFFD; System.Text.Json would refuse the whole body.</summary>
    private static byte[] Sanitize(ReadOnlySpan<byte> body)
    {
        if (System.Text.Unicode.Utf8.IsValid(body))
        {
            return body.ToArray();
        }

        return Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(body));
    }

    private static string SyntaxError(byte[] bytes, JsonException e)
    {
        var offset = Offset(bytes, e.LineNumber ?? 0, e.BytePositionInLine ?? 0);
        var rest = bytes.AsSpan(Math.Min(offset, bytes.Length));
        var meaningful = rest.IndexOfAnyExcept(" \t\r\n"u8);
        if (bytes.AsSpan().IndexOfAnyExcept(" \t\r\n"u8) < 0)
        {
            return "EOF";
        }

        if (meaningful < 0)
        {
            return "unexpected EOF";
        }

        if (e.Message.Contains("depth", StringComparison.OrdinalIgnoreCase))
        {
            return "exceeded max depth";
        }

        var c = (char)rest[meaningful];
        var previous = bytes.AsSpan(0, Math.Min(offset, bytes.Length)).TrimEnd(" \t\r\n"u8);
        var context = previous.IsEmpty ? "looking for beginning of value"
            : previous[^1] == (byte)'{' ? "looking for beginning of object key string"
            : previous[^1] == (byte)':' ? "looking for beginning of value"
            : previous[^1] == (byte)'"' ? "after object key"
            : "looking for beginning of value";
        var shown = c is '\'' ? "'\\''" : c < ' ' || c > '~' ? $"'\\x{(int)c:x2}'" : $"'{c}'";
        return $"invalid character {shown} {context}";
    }

    private static int Offset(byte[] bytes, long line, long positionInLine)
    {
        var offset = 0;
        for (long l = 0; l < line && offset < bytes.Length; l++)
        {
            var next = bytes.AsSpan(offset).IndexOf((byte)'\n');
            if (next < 0)
            {
                return bytes.Length;
            }

            offset += next + 1;
        }

        return (int)Math.Min(bytes.Length, offset + positionInLine);
    }

    /// <summary>
    /// Checks that <paramref name="value"/> can be decoded into a Go value of <paramref name="goType"/>
    /// that is a struct (or, for populate, a slice): "json: cannot unmarshal array into Go value of type toxiproxy.Proxy".
    /// </summary>
    public static void ExpectKind(JsonElement value, JsonValueKind kind, string goType)
    {
        if (value.ValueKind != kind && value.ValueKind != JsonValueKind.Null)
        {
            throw ApiError.BadRequestBody.With($"json: cannot unmarshal {Describe(value, GoKind.Struct)} into Go value of type {goType}");
        }
    }

    /// <summary>
    /// Decodes the fields of a Go struct from <paramref name="obj"/>: returns, per field, the last
    /// non-null value given for it (matched case-insensitively), after checking every given value
    /// in document order; the first that Go could not store is the error.
    /// </summary>
    public static Dictionary<string, JsonElement> Bind(JsonElement obj, string goStruct, string path, params GoField[] fields)
    {
        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var property in obj.EnumerateObject())
        {
            string name;
            try
            {
                name = property.Name;
            }
            catch (InvalidOperationException)
            {
                // A key with a lone surrogate matches none of our (ASCII) field names, in Go too.
                continue;
            }

            var field = Match(fields, name);
            if (field is not { } f || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (!Fits(property.Value, f.Kind))
            {
                throw ApiError.BadRequestBody.With(
                    $"json: cannot unmarshal {Describe(property.Value, f.Kind)} into Go struct field {goStruct}.{path}{f.Name} of type {f.GoType}");
            }

            result[f.Name] = property.Value;
        }

        return result;
    }

    /// <summary>Go's rule: an exact match first, else a case-insensitive one.</summary>
    private static GoField? Match(GoField[] fields, string name)
    {
        foreach (var field in fields)
        {
            if (field.Name == name)
            {
                return field;
            }
        }

        foreach (var field in fields)
        {
            if (string.Equals(field.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return field;
            }
        }

        return null;
    }

    private static bool Fits(JsonElement value, GoKind kind) => kind switch
    {
        GoKind.String => value.ValueKind == JsonValueKind.String,
        GoKind.Bool => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        GoKind.Int64 or GoKind.Int => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _) && IsIntegerLiteral(value),
        GoKind.Float32 => value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var number) && float.IsFinite((float)number),
        _ => value.ValueKind == JsonValueKind.Object,
    };

    /// <summary>Go parses an integer field with strconv.ParseInt: no fraction, no exponent.</summary>
    private static bool IsIntegerLiteral(JsonElement value) => value.GetRawText().AsSpan().IndexOfAny(".eE") < 0;

    /// <summary>What Go's UnmarshalTypeError calls the value: "string", "number", "number 1.5", "array"...</summary>
    private static string Describe(JsonElement value, GoKind target) => value.ValueKind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number when target is GoKind.Int64 or GoKind.Int or GoKind.Float32 => "number " + value.GetRawText(),
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => "null",
    };

    /// <summary>A string field's value; lone surrogates become U+FFFD as in Go.</summary>
    public static string? String(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return Unescape(value.GetRawText());
        }
    }

    public static bool? Bool(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) ? value.GetBoolean() : null;

    public static long? Int64(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) ? value.GetInt64() : null;

    public static float? Float32(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) ? (float)value.GetDouble() : null;

    /// <summary>A JSON string literal's text, escapes undone, any unpaired surrogate replaced by U+FFFD.</summary>
    private static string Unescape(string raw)
    {
        var text = new StringBuilder(raw.Length);
        for (var i = 1; i < raw.Length - 1; i++)
        {
            var c = raw[i];
            if (c != '\\')
            {
                text.Append(c);
                continue;
            }

            var e = raw[++i];
            switch (e)
            {
                case 'b': text.Append('\b'); break;
                case 'f': text.Append('\f'); break;
                case 'n': text.Append('\n'); break;
                case 'r': text.Append('\r'); break;
                case 't': text.Append('\t'); break;
                case 'u':
                    text.Append((char)Convert.ToUInt16(raw.Substring(i + 1, 4), 16));
                    i += 4;
                    break;
                default: text.Append(e); break;
            }
        }

        // Pair up what pairs; whatever is left alone becomes the replacement character.
        var chars = text.ToString().ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(chars[i]))
            {
                chars[i] = '\uFFFD';
            }
        }

        return new string(chars);
    }
}
