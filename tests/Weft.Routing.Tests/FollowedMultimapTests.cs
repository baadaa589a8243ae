using Weft.Routing.Internal;

namespace Weft.Routing.Tests;

/// <summary>
/// The multimap the models and indexes of one lineage share (FollowedMultimap): it answers for the one it follows, made
/// from that one's objects at the first read and told what each one made from it adds; any other reader makes it again
/// from its own objects, and so does one that finds it outgrown or half made.
/// </summary>
public class FollowedMultimapTests
{
    private static void PutAll(string[] objects, Action<string, string> put)
    {
        foreach (var o in objects)
        {
            Put(o, put);
        }
    }

    // "key=value": the object refers to key.
    private static void Put(string o, Action<string, string> put) => put(o[..o.IndexOf('=', StringComparison.Ordinal)], o);

    private static List<string> Read(FollowedMultimap<string, string> map, long follower, string[] source, string key, ref int made)
    {
        var found = new List<string>();
        var counted = 0;
        map.Read(follower, source, source.Length, (all, put) => { counted++; PutAll(all, put); }, [key], found.Add);
        made += counted;
        return found;
    }

    [Fact]
    public void What_the_followed_one_and_the_ones_made_from_it_add_is_read_without_making_it_again()
    {
        var map = new FollowedMultimap<string, string>();
        var made = 0;
        Assert.Equal(["a=1"], Read(map, 1, ["a=1", "b=2"], "a", ref made));
        map.Advance(1, 2, ["a=3"], removed: 0, Put);
        map.Advance(2, 3, ["a=4"], removed: 1, Put);

        Assert.Equal(["a=1", "a=3", "a=4"], Read(map, 3, [], "a", ref made).Order());
        Assert.Equal(1, made);
    }

    [Fact]
    public void One_it_does_not_follow_makes_it_again_from_its_own_objects()
    {
        // 1 -> 2 is followed; 1 -> 5 (a second update of 1) is not, so what 5 added is not in it: 5 reads after 6 was made
        // from it, and the multimap is made again from 6's objects.
        var map = new FollowedMultimap<string, string>();
        var made = 0;
        Read(map, 1, ["a=1"], "a", ref made);
        map.Advance(1, 2, ["a=2"], removed: 0, Put);
        map.Advance(1, 5, ["a=5"], removed: 0, Put);
        map.Advance(5, 6, ["a=6"], removed: 0, Put);

        Assert.Equal(["a=1", "a=5", "a=6"], Read(map, 6, ["a=1", "a=5", "a=6"], "a", ref made).Order());
        Assert.Equal(2, made);
        Assert.False(map.Follows(2));
    }

    [Fact]
    public void Outgrown_by_the_objects_changed_since_it_was_made_it_is_made_again()
    {
        var map = new FollowedMultimap<string, string>();
        var made = 0;
        Read(map, 1, ["a=1"], "a", ref made);
        map.Advance(1, 2, [.. Enumerable.Range(0, 1000).Select(i => $"b={i}")], removed: 26, Put);
        Assert.True(map.Follows(2));
        map.Advance(2, 3, ["a=2"], removed: 0, Put);

        Assert.False(map.Follows(3));
        Assert.Equal(["a=2"], Read(map, 3, ["a=2"], "a", ref made));
        Assert.Equal(2, made);
    }

    [Fact]
    public void One_that_failed_half_made_is_made_again_at_the_next_read()
    {
        var map = new FollowedMultimap<string, string>();
        Assert.Throws<InvalidOperationException>(() => map.Read(1, 0, 2, (_, put) =>
        {
            put("a", "a=1");
            throw new InvalidOperationException("half made");
        }, ["a"], _ => { }));

        Assert.False(map.Follows(1));
        var made = 0;
        Assert.Equal(["a=1"], Read(map, 1, ["a=1", "b=2"], "a", ref made));
        Assert.Equal(1, made);
    }
}
