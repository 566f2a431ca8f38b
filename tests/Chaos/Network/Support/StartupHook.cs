using Chaos.Tests.Network;

// The runtime looks for exactly this name, in the global namespace, in an assembly named by
// DOTNET_STARTUP_HOOKS. In the test host nothing calls it; in the holding run it never returns.
#pragma warning disable CA1050 // Declare types in namespaces: a startup hook must not be in one.
internal static class StartupHook
#pragma warning restore CA1050
{
    public static void Initialize()
    {
        if (Environment.GetEnvironmentVariable(HostHoldingRun.Variable) == "1") HostHoldingRun.Hold();
    }
}
