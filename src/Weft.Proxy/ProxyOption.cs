namespace Weft.Proxy;

/// <summary>
/// One option of the sidecar's command line (<see cref="ProxyArguments.All"/>): its name, how its value is written
/// (<c>PORT</c>, <c>strict|permissive</c>; null for a flag, which takes none), what it does, and whether it may be given
/// more than once.
/// </summary>
public sealed record ProxyOption(string Name, string? Value, string Description, bool Required = false, bool Repeatable = false)
{
    public bool IsFlag => Value is null;

    /// <summary>How the usage line writes it: <c>--pod NS/NAME</c>, <c>[--level l7|l4]</c>, <c>[--capture]</c>, <c>[--resolve NAME=IP]...</c>.</summary>
    public string Synopsis => (Required, Value) switch
    {
        (true, { } value) => $"{Name} {value}",
        (false, { } value) => $"[{Name} {value}]{(Repeatable ? "..." : "")}",
        _ => $"[{Name}]",
    };
}
