using Chaos.Tests.Matrix;
using NUnit.Framework;

// No namespace: NUnit runs a SetUpFixture outside every namespace once for the whole assembly.

/// <summary>After the last test: a matrix row started ahead of the tests that would have asked for it is ended, its servers stopped.</summary>
[SetUpFixture]
public sealed class MatrixCellsCleanup
{
    [OneTimeTearDown]
    public Task StopRows() => MatrixCells.StopAsync();
}
