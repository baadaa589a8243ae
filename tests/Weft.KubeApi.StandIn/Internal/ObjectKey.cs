namespace Weft.KubeApi.StandIn.Internal;

/// <summary>Where an object lives in its collection: ordered as etcd orders keys (namespace, then name), which is the list order.</summary>
internal readonly record struct ObjectKey(string Namespace, string Name) : IComparable<ObjectKey>
{
    public int CompareTo(ObjectKey other)
    {
        var byNamespace = string.CompareOrdinal(Namespace, other.Namespace);
        return byNamespace != 0 ? byNamespace : string.CompareOrdinal(Name, other.Name);
    }

    public static ObjectKey Of(System.Text.Json.Nodes.JsonObject obj) =>
        new(ObjectMeta.Namespace(obj) ?? "", ObjectMeta.Name(obj) ?? "");

    public override string ToString() => Namespace.Length == 0 ? Name : Namespace + "/" + Name;

    public static bool operator <(ObjectKey left, ObjectKey right) => left.CompareTo(right) < 0;

    public static bool operator <=(ObjectKey left, ObjectKey right) => left.CompareTo(right) <= 0;

    public static bool operator >(ObjectKey left, ObjectKey right) => left.CompareTo(right) > 0;

    public static bool operator >=(ObjectKey left, ObjectKey right) => left.CompareTo(right) >= 0;
}
