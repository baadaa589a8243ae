namespace Weft.Cli.Local.Api;

/// <summary>
/// The API server refused objects of the manifests directory when <c>weft up --kubeconfig</c> started
/// (<see cref="ManifestApplier.StartAsync"/>): the message names each, with what the server said.
/// </summary>
internal sealed class ApplyRefusedException : InvalidOperationException
{
    public ApplyRefusedException()
    {
    }

    public ApplyRefusedException(string message)
        : base(message)
    {
    }

    public ApplyRefusedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
