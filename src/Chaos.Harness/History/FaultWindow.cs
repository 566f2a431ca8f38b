namespace Chaos.Harness.History;

/// <summary>One fault window: when a fault struck and when it was healed (null while it is still open).</summary>
internal sealed record FaultWindow(double FaultAtMs, double? HealAtMs, string Detail);
