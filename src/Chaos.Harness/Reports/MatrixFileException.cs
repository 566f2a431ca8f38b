namespace Chaos.Harness.Reports;

/// <summary>
/// A matrix.json that cannot be used: missing, unreadable, not JSON, or not shaped like a matrix.
/// The message names the file and what is wrong, and is meant to be shown to the user as it is.
/// </summary>
internal sealed class MatrixFileException(string path, string problem, Exception? inner = null)
    : Exception($"{path}: {problem}", inner)
{
    public string Path { get; } = path;
    public string Problem { get; } = problem;
}
