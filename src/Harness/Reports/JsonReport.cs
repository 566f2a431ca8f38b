using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Chaos.Harness.Checking;
using Chaos.Harness.Matrix;

namespace Chaos.Harness.Reports;

/// <summary>
/// matrix.json: the machine-readable record of a run, and the baseline the next run compares with.
/// The schema is documented in docs/matrix-schema.md; change both together.
/// </summary>
public static partial class JsonReport
{
    public const string FileName = "matrix.json";

    public static string Serialize(MatrixResult result) =>
        JsonSerializer.Serialize(result, MatrixJsonContext.Default.MatrixResult);

    // Serialised before the file is opened, so a failure never leaves a truncated matrix.json behind
    // to be picked up as the next baseline.
    public static async Task WriteAsync(MatrixResult result, string path, CancellationToken ct) =>
        await File.WriteAllBytesAsync(path, JsonSerializer.SerializeToUtf8Bytes(result, MatrixJsonContext.Default.MatrixResult), ct);

    /// <summary>Reads a matrix.json. Throws <see cref="MatrixFileException"/> with a message for the user when it can't.</summary>
    public static async Task<MatrixResult> ReadAsync(string path, CancellationToken ct)
    {
        if (Directory.Exists(path))
            throw new MatrixFileException(path, $"this is a folder; give the {FileName} inside it.");
        string text;
        try
        {
            text = await File.ReadAllTextAsync(path, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MatrixFileException(path, "the file does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new MatrixFileException(path, $"the file cannot be read: {e.Message}", e);
        }
        return Deserialize(text, path);
    }

    /// <summary>Parses matrix.json text; <paramref name="source"/> names it in error messages.</summary>
    public static MatrixResult Deserialize(string json, string source)
    {
        MatrixResult? result;
        try
        {
            result = JsonSerializer.Deserialize(json, MatrixJsonContext.Default.MatrixResult);
        }
        catch (JsonException e)
        {
            throw new MatrixFileException(source, Describe(e), e);
        }
        if (result is null)
            throw new MatrixFileException(source, "expected a matrix object but the file holds null.");
        Validate(result, source);
        return result;
    }

    // System.Text.Json's messages name CLR types and say "LineNumber: 3 | BytePositionInLine: 7";
    // reworded so a user sees the JSON path, a 1-based line and what to fix, and nothing about .NET.
    private static string Describe(JsonException e)
    {
        var where = (e.Path, e.LineNumber) switch
        {
            ({ } p, { } line) => $" at {p} (line {line + 1})",
            ({ } p, null) => $" at {p}",
            (null, { } line) => $" at line {line + 1}",
            _ => "",
        };
        return $"not a valid matrix{where}: {What(e)}.";
    }

    private static string What(JsonException e)
    {
        var message = e.Message;
        if (e.InnerException is InvalidOperationException or FormatException)
            return "a value has the wrong type or format";
        if (message.Contains("does not contain any JSON tokens", StringComparison.Ordinal))
            return "the file is empty";
        if (MissingFields().Match(message) is { Success: true } missing)
            return $"missing required field {missing.Groups[1].Value}";
        if (message.Contains("allow null", StringComparison.Ordinal) || message.Contains("allow setting null", StringComparison.Ordinal))
            return "null is not allowed here";
        if (message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            if (e.Path is { } path && (path.EndsWith(".verdict", StringComparison.Ordinal) || path.EndsWith(".expected", StringComparison.Ordinal)))
                return $"unknown verdict; accepted: {string.Join(", ", Enum.GetValues<Verdict>().Select(v => v.ToWire()))}";
            return e.Path == "$" ? "expected a JSON object" : "a value has the wrong type";
        }
        return FirstSentence(message);
    }

    [GeneratedRegex("missing required properties including: (.*?)\\.?$")]
    private static partial Regex MissingFields();

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        var text = (cut >= 0 ? message[..cut] : message).Trim().TrimEnd('.');
        return text
            .Replace("Chaos.Harness.Checking.", "", StringComparison.Ordinal)
            .Replace("Chaos.Harness.Matrix.", "", StringComparison.Ordinal);
    }

    // What the type system cannot say: the grid must not hold the same cell twice, or a baseline
    // comparison would silently pick one of them.
    private static void Validate(MatrixResult result, string source)
    {
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < result.Cells.Count; i++)
        {
            var cell = result.Cells[i];
            if (cell.Fault.Length == 0 || cell.Profile.Length == 0)
                throw new MatrixFileException(source, $"not a valid matrix at $.cells[{i}]: fault and profile must not be empty.");
            if (!seen.Add((cell.Fault, cell.Profile)))
                throw new MatrixFileException(source, $"not a valid matrix at $.cells[{i}]: the cell {cell.Fault} / {cell.Profile} appears twice.");
        }
    }
}

/// <summary>
/// Source-generated serialization for matrix.json. Nullable annotations and required members are
/// enforced on read so a wrong shape fails with a path instead of producing a half-empty result.
/// NaN and infinities are written as the strings "NaN", "Infinity", "-Infinity": a figure that could
/// not be computed must not cost the report of an hour-long run.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(MatrixResult))]
internal sealed partial class MatrixJsonContext : JsonSerializerContext;
