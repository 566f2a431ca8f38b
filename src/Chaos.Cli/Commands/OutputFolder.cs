using Chaos.Harness;

namespace Chaos.Cli;

/// <summary>Checks before the first cell that the report folder can be written, so a bad --out costs seconds, not the run.</summary>
internal static class OutputFolder
{
    public static void EnsureWritable(string? dir)
    {
        if (string.IsNullOrWhiteSpace(dir))
        {
            throw new UsageException("--out '': give a folder for the report files");
        }
        string full;
        try
        {
            full = Path.GetFullPath(dir);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new UsageException($"--out '{dir}' is not a usable path: {e.Message}");
        }
        if (File.Exists(full))
        {
            throw new UsageException($"--out '{dir}' is a file; give a folder for the report files");
        }
        var probe = Path.Combine(full, $".chaos-write-check-{Environment.ProcessId}");
        try
        {
            Directory.CreateDirectory(full);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw new UsageException($"--out '{dir}' cannot be written: {e.Message}");
        }
    }
}
