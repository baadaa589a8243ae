namespace Weft.Cli.Local.Netns;

/// <summary>The host refused a change the network-namespace mode needed (a tool failed, or a check did not hold).</summary>
internal sealed class NetworkSetupException : Exception
{
    public NetworkSetupException()
    {
    }

    public NetworkSetupException(string message)
        : base(message)
    {
    }

    public NetworkSetupException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
