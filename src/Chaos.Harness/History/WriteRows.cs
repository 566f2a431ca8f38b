namespace Chaos.Harness.History;

/// <summary>How many rows of one part of one write the database holds: a line of the final read.</summary>
internal sealed record WriteRows(Guid WriteId, int Part, int Count);
