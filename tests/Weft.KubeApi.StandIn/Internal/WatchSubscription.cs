using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Weft.KubeApi.StandIn.Internal;

/// <summary>
/// One open watch: which objects it sees and the newline-delimited JSON events queued for it. Events are queued under
/// the store's lock, so a BOOKMARK queued there too never runs ahead of an event it claims to follow.
/// </summary>
internal sealed class WatchSubscription
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    public required ResourceType Type { get; init; }

    public required string Version { get; init; }

    public string? Namespace { get; init; }

    public LabelSelector Labels { get; init; } = LabelSelector.Everything;

    public FieldSelector Fields { get; init; } = FieldSelector.Everything;

    public ChannelReader<string> Lines => _lines.Reader;

    public bool Matches(JsonObject obj) =>
        (Namespace is null || ObjectMeta.Namespace(obj) == Namespace)
        && Labels.Matches(ObjectMeta.Labels(obj))
        && Fields.Matches(obj);

    /// <summary>
    /// Queues what this watch sees of a change. A selector watch sees an object that starts matching as ADDED and one that
    /// stops matching as DELETED, as the watch cache does.
    /// </summary>
    public void Offer(StoredEvent change)
    {
        if (change.StorageKey != Type.StorageKey)
        {
            return;
        }

        var now = change.Type != "DELETED" && Matches(change.Object);
        var before = change.Previous is not null && Matches(change.Previous);
        var type = (change.Type, before, now) switch
        {
            ("ADDED", _, true) => "ADDED",
            ("MODIFIED", true, true) => "MODIFIED",
            ("MODIFIED", false, true) => "ADDED",
            ("MODIFIED", true, false) => "DELETED",
            ("DELETED", true, _) => "DELETED",
            _ => null,
        };
        if (type is not null)
        {
            Send(type, ApiObjects.AtVersion(change.Object, Type, Version));
        }
    }

    public void Send(string type, JsonObject obj) =>
        _lines.Writer.TryWrite(ApiJson.Write(new JsonObject { ["type"] = type, ["object"] = obj }) + "\n");

    public void SendBookmark(long resourceVersion) => Send("BOOKMARK", new JsonObject
    {
        ["kind"] = Type.Kind,
        ["apiVersion"] = Type.ApiVersion(Version),
        ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(), ["creationTimestamp"] = null },
    });

    /// <summary>Ends the stream once what is queued has been sent.</summary>
    public void Close() => _lines.Writer.TryComplete();
}
