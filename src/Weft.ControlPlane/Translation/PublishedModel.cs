using Weft.Routing;

namespace Weft.ControlPlane.Translation;

/// <summary>
/// One model the <see cref="Translator"/> published: immutable, and able to say when a newer one replaces it, so that
/// every discovery stream can wait for the next model without a subscriber list or a lock.
/// </summary>
public sealed class PublishedModel
{
    private readonly TaskCompletionSource<PublishedModel> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal PublishedModel(MeshModel model, ulong version, long storeVersion)
    {
        Model = model;
        Version = version;
        StoreVersion = storeVersion;
    }

    public MeshModel Model { get; }

    /// <summary>1 for the first model, then one more per publish; the version discovery updates carry.</summary>
    public ulong Version { get; }

    /// <summary>The <see cref="Objects.ObjectStore"/> version the model was built from.</summary>
    public long StoreVersion { get; }

    /// <summary>The newest model after this one, once there is one.</summary>
    public async Task<PublishedModel> NextAsync(CancellationToken ct)
    {
        var next = await _next.Task.WaitAsync(ct).ConfigureAwait(false);
        while (next._next.Task.IsCompletedSuccessfully)
        {
            next = next._next.Task.Result;
        }

        return next;
    }

    internal void Supersede(PublishedModel next) => _next.TrySetResult(next);
}
