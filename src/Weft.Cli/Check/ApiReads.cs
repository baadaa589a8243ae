using k8s.Autorest;
using Weft.ControlPlane.Kubernetes;

namespace Weft.Cli.Check;

/// <summary>Reads for checks: an object, or null when it (or its resource) is not there; any other error propagates.</summary>
internal static class ApiReads
{
    public static async Task<T?> OrNullAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read().ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (KubeErrors.IsNotFound(e))
        {
            return null;
        }
    }
}
