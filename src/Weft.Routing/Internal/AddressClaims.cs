namespace Weft.Routing.Internal;

/// <summary>
/// Addresses that items of a list claim, each held by the first claimant of the list: Services' cluster IPs (gamma-spec
/// A8) and pods' IPs. How an update gives each address a changed item claimed or claims to its holder without looking at
/// every item: by how many items claim it, kept for the addresses two or more claim (<c>shared</c>), which only a look
/// at the list can settle when a kept item claims one too.
/// </summary>
internal static class AddressClaims
{
    /// <summary>A claim of <paramref name="address"/> by <paramref name="item"/>, made in the list's order, as a build makes them.</summary>
    public static void Add<T>(Dictionary<string, T> byAddress, Dictionary<string, int> shared, string address, T item)
    {
        if (!byAddress.TryAdd(address, item))
        {
            shared[address] = shared.GetValueOrDefault(address, 1) + 1;
        }
    }

    /// <summary>
    /// Gives each address that a <paramref name="gone"/> item claimed or an <paramref name="added"/> one claims (both in
    /// their list's order; an item moved in the list is in both) to <paramref name="give"/>: the first added claimant
    /// when only added items claim it, else null, and adds it to <paramref name="changed"/>. <paramref name="heldBefore"/>
    /// says whether an address was held before. <paramref name="shared"/> is replaced by a copy when its counts change.
    /// </summary>
    /// <returns>The addresses a kept item claims too (their holder is the first claimant of the whole list), or null.</returns>
    public static HashSet<string>? Update<T>(
        IReadOnlyList<T> gone, IReadOnlyList<T> added, Func<T, IEnumerable<string>> addressesOf, Func<string, bool> heldBefore,
        ref Dictionary<string, int> shared, Action<string, T?> give, HashSet<string>? changed = null)
        where T : class
    {
        // For each address: how many more claim it now (fewer when negative), how many added items, and the first of those.
        var claims = new Dictionary<string, (int Net, int Added, T? FirstAdded)>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in gone)
        {
            foreach (var address in addressesOf(item))
            {
                var (net, n, first) = claims.GetValueOrDefault(address);
                claims[address] = (net - 1, n, first);
            }
        }

        foreach (var item in added)
        {
            foreach (var address in addressesOf(item))
            {
                var (net, n, first) = claims.GetValueOrDefault(address);
                claims[address] = (net + 1, n + 1, first ?? item);
            }
        }

        var counts = shared;
        HashSet<string>? search = null;
        foreach (var (address, (net, addedClaims, firstAdded)) in claims)
        {
            changed?.Add(address);
            var before = counts.TryGetValue(address, out var count) ? count : heldBefore(address) ? 1 : 0;
            var after = before + net;
            give(address, after > 0 && after == addedClaims ? firstAdded : null);
            if (after > 0 && after != addedClaims)
            {
                (search ??= new(StringComparer.OrdinalIgnoreCase)).Add(address);
            }

            if (after != before && (after > 1 || before > 1))
            {
                if (ReferenceEquals(shared, counts))
                {
                    shared = new Dictionary<string, int>(counts, StringComparer.OrdinalIgnoreCase);
                }

                if (after > 1)
                {
                    shared[address] = after;
                }
                else
                {
                    shared.Remove(address);
                }
            }
        }

        return search;
    }
}
