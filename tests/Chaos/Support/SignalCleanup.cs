using Chaos.Harness.Servers.Internal;
using NUnit.Framework;

// No namespace: NUnit runs a SetUpFixture outside every namespace once for the whole assembly.

/// <summary>
/// The harness's own test host asks for the signal cleanup a library user has to opt into: a test host
/// terminated by SIGTERM (a CI timeout) then leaves no server running.
/// </summary>
[SetUpFixture]
public sealed class SignalCleanup
{
    [OneTimeSetUp]
    public void Enable() => RunRegistry.EnableSignalCleanup();
}
