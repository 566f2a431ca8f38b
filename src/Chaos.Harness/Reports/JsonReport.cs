using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Chaos.Harness.Checking;

namespace Chaos.Harness.Reports;

/// <summary>
/// matrix.json: the machine-readable record of a run, and the baseline the next run compares with.
/// The schema is documented in docs/matrix-schema.md; change both together.
/// </summary>
internal sealed partial class JsonReport : IReportFormat
{
    public const string FileName = "matrix.json";

    internal JsonReport() { }

    string IReportFormat.Name => "json";
    string IReportFormat.FileName => FileName;

    Task IReportFormat.WriteAsync(MatrixRecord matrix, string path, BaselineDiff? baseline, CancellationToken ct) =>
        WriteAsync(matrix, path, ct);

    public static string Serialize(MatrixRecord result) =>
        JsonSerializer.Serialize(result, MatrixJsonContext.Default.MatrixRecord);

    // Serialised before the file is opened, so a failure never leaves a truncated matrix.json behind
    // to be picked up as the next baseline.
    public static async Task WriteAsync(MatrixRecord result, string path, CancellationToken ct) =>
        await File.WriteAllBytesAsync(path, JsonSerializer.SerializeToUtf8Bytes(result, MatrixJsonContext.Default.MatrixRecord), ct);

    /// <summary>
    /// The largest matrix.json the harness reads: a full run of 238 cells is about 1 MB, so this leaves room
    /// for merged matrices dozens of times larger and still refuses a device or a wrong file before it fills memory.
    /// </summary>
    public const long MaxBytes = 64L * 1024 * 1024;

    /// <summary>Reads a matrix.json. Throws <see cref="MatrixFileException"/> with a message for the user when it can't.</summary>
    public static async Task<MatrixRecord> ReadAsync(string path, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new MatrixFileException("''", "no file given; give the path of a matrix.json.");
        if (Directory.Exists(path))
            throw new MatrixFileException(path, $"this is a folder; give the {FileName} inside it.");
        byte[] bytes;
        try
        {
            // Read with a bound, not by length: /dev/zero and pipes report a length of 0.
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
            using var buffer = new MemoryStream();
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + read > MaxBytes)
                    throw new MatrixFileException(path, $"the file is larger than {MaxBytes / (1024 * 1024)} MB, far beyond any matrix.json; give a matrix.json written by chaos.");
                buffer.Write(chunk, 0, read);
            }
            bytes = buffer.ToArray();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new MatrixFileException(path, "the file does not exist.", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new MatrixFileException(path, $"the file cannot be read: {e.Message}", e);
        }
        string text;
        try
        {
            text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new MatrixFileException(path, "not a valid matrix: the file is not UTF-8 text.", e);
        }
        return Deserialize(text, path);
    }

    /// <summary>Parses matrix.json text; <paramref name="source"/> names it in error messages.</summary>
    public static MatrixRecord Deserialize(string json, string source)
    {
        MatrixRecord? result;
        try
        {
            result = JsonSerializer.Deserialize(json, MatrixJsonContext.Default.MatrixRecord);
        }
        catch (JsonException e)
        {
            throw new MatrixFileException(source, Describe(e), e);
        }
        if (result is null)
            throw new MatrixFileException(source, "expected a matrix object but the file holds null.");
        Validate(result, source);
        return WithDefaults(result);
    }

    // The source-generated reader sets an absent init-only collection to null, not to its initializer: a file
    // written before a field existed (the committed baseline has no windows or series) must still render and
    // be written again, so absent collections become empty ones (and so do those of older files: errorsByCause).
    private static MatrixRecord WithDefaults(MatrixRecord result)
    {
        static bool Missing(object? value) => value is null;
        var cells = result.Cells.Select(c => Missing(c.Timeline) || Missing(c.Windows) || Missing(c.Series) || Missing(c.ErrorsByCause) || Missing(c.Phases)
            ? c with
            {
                Timeline = c.Timeline ?? [],
                Windows = c.Windows ?? [],
                Series = c.Series ?? CellSeries.Empty,
                ErrorsByCause = c.ErrorsByCause ?? new Dictionary<string, int>(),
                Phases = c.Phases ?? CellPhases.None,
            }
            : c).ToList();
        return result with
        {
            Environment = result.Environment ?? new Dictionary<string, string>(),
            Cells = cells,
            Selection = result.Selection is { } s && Missing(s.CustomProfiles) ? s with { CustomProfiles = new Dictionary<string, string>() } : result.Selection,
        };
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
            .Replace("Chaos.Harness.Reports.", "", StringComparison.Ordinal)
            .Replace("Chaos.Harness.History.", "", StringComparison.Ordinal);
    }

    // What the type system cannot say: the grid must not hold the same cell twice, or a baseline
    // comparison would silently pick one of them.
    private static void Validate(MatrixRecord result, string source)
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
[JsonSerializable(typeof(MatrixRecord))]
internal sealed partial class MatrixJsonContext : JsonSerializerContext;
