using Weft.Cli.Local;
using Weft.Cli.Tests.Infrastructure;

namespace Weft.Cli.Tests.Local;

/// <summary>A run's directory must be this user's own: not another user's, not writable by others, not a link.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class OwnDirectoryTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("weft-own-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void A_missing_directory_is_made_for_this_user_alone()
    {
        var path = Path.Combine(_work, "run");

        OwnDirectory.Ensure(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(path));
        Assert.Equal(path, OwnDirectory.Ensure(path)); // and accepted again
    }

    [Fact]
    public void A_directory_others_may_write_to_is_refused()
    {
        var path = Directory.CreateDirectory(Path.Combine(_work, "open")).FullName;
        File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111);

        var refused = Assert.Throws<UnauthorizedAccessException>(() => OwnDirectory.Ensure(path));

        Assert.Contains("is not a directory of this user's own", refused.Message, StringComparison.Ordinal);
        Assert.Contains("mode 777", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_link_is_refused_even_to_a_good_directory()
    {
        var target = OwnDirectory.Ensure(Path.Combine(_work, "real"));
        var link = Path.Combine(_work, "link");
        Directory.CreateSymbolicLink(link, target);

        Assert.Throws<UnauthorizedAccessException>(() => OwnDirectory.Ensure(link));
    }

    [NetnsFact] // root, to give the directory away
    public async Task Another_users_directory_is_refused()
    {
        var path = Directory.CreateDirectory(Path.Combine(_work, "theirs")).FullName;
        await CommandRun.RunCheckedAsync("chown", "65534", path);

        var refused = Assert.Throws<UnauthorizedAccessException>(() => OwnDirectory.Ensure(path));

        Assert.Contains("owner uid 65534", refused.Message, StringComparison.Ordinal);
    }
}
