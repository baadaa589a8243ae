using System.Buffers.Text;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Weft.ControlPlane.Identity;
using Weft.ControlPlane.Tests.Support;

namespace Weft.ControlPlane.Tests.Identity;

public sealed class WorkloadTokenIssuerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _clock = FakeClock.AtNow();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Token_carries_its_pod_its_uid_and_service_account()
    {
        var issuer = WorkloadTokenIssuer.LoadOrCreate(null, _clock);

        var token = issuer.IssueToken("shop", "checkout-7d9f-abcde", "uid-1", "checkout", TimeSpan.FromHours(1));

        Assert.True(issuer.TryValidate(token, out var claims, out var error), error);
        Assert.Equal(new WorkloadClaims("shop", "checkout-7d9f-abcde", "checkout", _clock.GetUtcNow().AddHours(1), "uid-1"), claims);
    }

    [Fact]
    public void Expired_token_is_rejected()
    {
        var issuer = WorkloadTokenIssuer.LoadOrCreate(null, _clock);
        var token = issuer.IssueToken("shop", "checkout-0", "uid-1", "checkout", TimeSpan.FromHours(1));

        _clock.Advance(TimeSpan.FromHours(1));

        Assert.False(issuer.TryValidate(token, out _, out var error));
        Assert.Contains("expired", error);
    }

    [Fact]
    public void Token_of_another_control_plane_is_rejected()
    {
        var other = WorkloadTokenIssuer.LoadOrCreate(null, _clock);
        var issuer = WorkloadTokenIssuer.LoadOrCreate(null, _clock);

        Assert.False(issuer.TryValidate(other.IssueToken("shop", "checkout-0", "uid-1", "checkout", TimeSpan.FromHours(1)), out _, out var error));
        Assert.Contains("not issued by this control plane", error);
    }

    [Fact]
    public void Token_with_altered_claims_is_rejected()
    {
        var issuer = WorkloadTokenIssuer.LoadOrCreate(null, _clock);
        var parts = issuer.IssueToken("shop", "checkout-0", "uid-1", "checkout", TimeSpan.FromHours(1)).Split('.');
        var claims = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace("\"checkout\"", "\"admin\"");
        var forged = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims))}.{parts[2]}";

        Assert.False(issuer.TryValidate(forged, out _, out var error));
        Assert.Contains("signature", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("weft1.")]
    [InlineData("weft1.e30.")]
    [InlineData("weft1.!!!.AAAA")]
    [InlineData("weft1.forged.token")]
    public void Malformed_token_is_rejected(string token)
    {
        var issuer = WorkloadTokenIssuer.LoadOrCreate(null, _clock);

        Assert.False(issuer.TryValidate(token, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Token_key_is_persisted_so_tokens_survive_a_restart()
    {
        var token = WorkloadTokenIssuer.LoadOrCreate(_dir.Path, _clock).IssueToken("shop", "checkout-0", "uid-1", "checkout", TimeSpan.FromHours(1));

        var restarted = WorkloadTokenIssuer.LoadOrCreate(_dir.Path, _clock);

        Assert.True(restarted.TryValidate(token, out _, out var error), error);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_dir.Path, WorkloadTokenIssuer.KeyFile)));
        }
    }

    [Theory]
    [InlineData("shop/../kube-system", "pod", "sa")]
    [InlineData("shop", "pod", "Admin")]
    [InlineData("shop", "", "sa")]
    public void Names_that_are_not_kubernetes_names_get_no_token(string ns, string pod, string sa)
    {
        var issuer = WorkloadTokenIssuer.LoadOrCreate(null, _clock);

        Assert.Throws<ArgumentException>(() => issuer.IssueToken(ns, pod, "uid-1", sa, TimeSpan.FromHours(1)));
    }
}
