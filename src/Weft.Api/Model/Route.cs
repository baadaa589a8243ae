namespace Weft.Api.Model;

/// <summary>What every route kind shares: the parents it binds to. The kind itself decides the route-type order (gamma-spec D1).</summary>
public abstract record Route : KubeObject
{
    public abstract IReadOnlyList<ParentReference> ParentRefs { get; }
}
