namespace Chaos.Harness;

/// <summary>
/// A mistake in what the user asked for (a bad fault or profile name, malformed settings, an unreadable
/// baseline). The CLI prints its message as one line and exits 2; it never shows a stack trace.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
