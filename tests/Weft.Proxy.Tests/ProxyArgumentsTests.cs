using System.Net;

namespace Weft.Proxy.Tests;

public sealed class ProxyArgumentsTests
{
    [Fact]
    public void Full_command_line_parses()
    {
        var ok = ProxyArguments.TryParse(
            ["--pod", "ns1/echo-v1-0", "--pod-ip", "127.20.2.1", "--service-account", "echo", "--control-plane", "http://127.0.0.1:4000",
             "--outbound-port", "0", "--admin-port", "16000"],
            out var options, out var error);

        Assert.True(ok, error);
        Assert.Equal("ns1", options!.PodNamespace);
        Assert.Equal("echo-v1-0", options.PodName);
        Assert.Equal(IPAddress.Parse("127.20.2.1"), options.PodIp);
        Assert.Equal("echo", options.ServiceAccount);
        Assert.Equal(new Uri("http://127.0.0.1:4000"), options.ControlPlane);
        Assert.Equal(0, options.OutboundPort);
        Assert.Equal(15006, options.InboundPort);
        Assert.Equal(16000, options.AdminPort);
    }

    [Fact]
    public void Every_option_of_the_definition_is_read_by_the_parser_and_named_in_the_usage()
    {
        string[] required = ["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x"];
        foreach (var option in ProxyArguments.All)
        {
            string[] args = option.IsFlag ? [.. required, option.Name] : [.. required, option.Name, "1"];
            if (!ProxyArguments.TryParse(args, out _, out var error))
            {
                Assert.False(error.StartsWith("unknown option", StringComparison.Ordinal), $"{option.Name}: {error}");
            }

            Assert.Contains(option.Synopsis, ProxyArguments.Usage, StringComparison.Ordinal);
        }

        Assert.False(ProxyArguments.TryParse([.. required, "--bogus", "1"], out _, out var unknown));
        Assert.Equal("unknown option --bogus", unknown);
    }

    [Fact]
    public void The_connection_limit_and_the_head_time_are_read_and_must_be_positive()
    {
        string[] required = ["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x"];
        Assert.True(ProxyArguments.TryParse([.. required, "--max-connections", "500", "--head-timeout-ms", "2500"], out var options, out var error), error);
        Assert.Equal((500, TimeSpan.FromMilliseconds(2500)), (options!.MaxConnections, options.RequestHeadTimeout));
        Assert.True(ProxyArguments.TryParse(required, out var defaults, out _));
        Assert.Equal((ProxyOptions.DefaultMaxConnections, TimeSpan.FromSeconds(30)), (defaults!.MaxConnections, defaults.RequestHeadTimeout));
        Assert.False(ProxyArguments.TryParse([.. required, "--max-connections", "0"], out _, out _));
        Assert.False(ProxyArguments.TryParse([.. required, "--head-timeout-ms", "x"], out _, out _));
    }

    [Fact]
    public void The_idle_trim_is_thirty_seconds_unless_given_zero_turns_it_off_and_more_than_a_day_is_refused()
    {
        string[] required = ["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x"];
        Assert.True(ProxyArguments.TryParse(required, out var defaults, out var error), error);
        Assert.Equal(TimeSpan.FromSeconds(30), defaults!.IdleTrimInterval);
        Assert.True(ProxyArguments.TryParse([.. required, "--idle-trim-seconds", "90"], out var given, out error), error);
        Assert.Equal(TimeSpan.FromSeconds(90), given!.IdleTrimInterval);
        Assert.True(ProxyArguments.TryParse([.. required, "--idle-trim-seconds", "0"], out var off, out error), error);
        Assert.Null(off!.IdleTrimInterval);
        foreach (var bad in new[] { "86401", "-1", "1.5", "x", "" })
        {
            Assert.False(ProxyArguments.TryParse([.. required, "--idle-trim-seconds", bad], out _, out error), bad);
            Assert.Equal($"--idle-trim-seconds: '{bad}' is not a number of seconds from 0 (never) to 86400", error);
        }
    }

    [Fact]
    public void Connection_limits_fit_under_the_descriptor_limit()
    {
        Assert.Equal((4096, 128), ProcessHardening.FitConnections(4096, 128, 1_048_576));
        Assert.Equal((4096, 128), ProcessHardening.FitConnections(4096, 128, null));
        var (proxied, admin) = ProcessHardening.FitConnections(4096, 128, 1024);
        Assert.True(4 * proxied + admin + ProcessHardening.ReservedDescriptors <= 1024, $"{proxied}, {admin}");
        Assert.True(proxied > 100 && admin >= 4, $"{proxied}, {admin}");
    }

    [Fact]
    public void Options_without_a_value_on_the_command_line_take_the_mesh_defaults()
    {
        Assert.True(ProxyArguments.TryParse(["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x"], out var options, out var error), error);
        Assert.Equal((15001, 15006, 15000, "default", "l7", Security.MtlsMode.Strict, 200.0),
            (options!.OutboundPort, options.InboundPort, options.AdminPort, options.ServiceAccount, options.Level, options.Mtls, options.ProtocolDetectionTimeout.TotalMilliseconds));
    }

    [Fact]
    public void The_workload_is_read_and_defaults_to_none_so_the_pod_name_stands_for_it()
    {
        string[] required = ["--pod", "shop/cart-7d9f8c6b5-x2x9z", "--pod-ip", "127.0.0.1", "--control-plane", "http://x"];

        Assert.True(ProxyArguments.TryParse([.. required, "--workload", "cart"], out var named, out var error), error);
        Assert.True(ProxyArguments.TryParse(required, out var unnamed, out error), error);

        Assert.Equal("cart", named!.Workload);
        Assert.Null(unnamed!.Workload);
        Assert.False(ProxyArguments.TryParse([.. required, "--workload", ""], out _, out error));
        Assert.Equal("--workload: '' is not a workload name", error);
    }

    [Theory]
    [InlineData("cart\r\nx-injected: 1")]
    [InlineData("cart\n")]
    [InlineData("Cart")]
    [InlineData("-cart")]
    [InlineData("shop/cart")]
    [InlineData("")]
    public void A_workload_that_is_not_an_object_name_is_refused(string workload)
    {
        var ok = ProxyArguments.TryParse(
            ["--pod", "shop/cart-0", "--pod-ip", "127.0.0.1", "--control-plane", "http://x", "--workload", workload], out _, out var error);

        Assert.False(ok);
        Assert.Contains("--workload", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("shop", "cart\r\nx-injected: 1")]
    [InlineData("sh\rop", "cart")]
    public void A_workload_header_is_never_made_from_a_name_with_other_characters(string @namespace, string workload) =>
        Assert.Null(new Weft.Proxy.Metrics.LocalWorkload(@namespace, workload).HeaderValue);

    [Theory]
    [InlineData("--pod", "nons", "--pod-ip", "127.0.0.1", "--control-plane", "http://x")]
    [InlineData("--pod", "a/b", "--pod-ip", "nope", "--control-plane", "http://x")]
    [InlineData("--pod", "a/b", "--pod-ip", "127.0.0.1")]
    [InlineData("--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x", "--inbound-port", "70000")]
    [InlineData("--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x", "--bogus", "1")]
    [InlineData("--pod")]
    public void Bad_command_lines_are_refused(params string[] args)
    {
        Assert.False(ProxyArguments.TryParse(args, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void Capture_is_a_flag_that_moves_the_outbound_listener_to_loopback_where_REDIRECT_sends_the_apps_connections()
    {
        Assert.True(ProxyArguments.TryParse(
            ["--pod", "ns/p", "--pod-ip", "198.18.4.2", "--capture", "--control-plane", "http://198.18.4.1:4000"], out var captured, out var error), error);
        Assert.True(ProxyArguments.TryParse(["--pod", "ns/p", "--pod-ip", "127.20.2.1", "--control-plane", "http://x"], out var proxied, out error), error);

        Assert.True(captured!.Capture);
        Assert.Equal(IPAddress.Loopback, captured.OutboundAddress);
        Assert.False(proxied!.Capture);
        Assert.Equal(IPAddress.Parse("127.20.2.1"), proxied.OutboundAddress);
    }

    [Fact]
    public void A_control_plane_ca_is_for_an_https_control_plane_only_and_must_hold_a_certificate()
    {
        var pem = Path.GetTempFileName();
        try
        {
            using (var key = System.Security.Cryptography.ECDsa.Create())
            {
                var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=root", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
                using var root = request.CreateSelfSigned(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));
                File.WriteAllText(pem, root.ExportCertificatePem());
            }

            Assert.False(ProxyArguments.TryParse(["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x", "--control-plane-ca", pem], out _, out var clear));
            Assert.Contains("https", clear, StringComparison.Ordinal);
            Assert.True(ProxyArguments.TryParse(
                ["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "https://weft-controller.weft-system.svc:8090", "--control-plane-ca", pem, "--token-file", "/var/run/secrets/weft/token"],
                out var options, out var error), error);
            Assert.Single(options!.ControlPlaneRoots!);
            Assert.Equal("/var/run/secrets/weft/token", options.TokenFile);

            File.WriteAllText(pem, "not a certificate");
            Assert.False(ProxyArguments.TryParse(["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "https://x", "--control-plane-ca", pem], out _, out var empty));
            Assert.Contains("no PEM certificate", empty, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Fact]
    public void Resolve_is_repeatable_and_gives_each_name_its_addresses()
    {
        string[] required = ["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x"];

        Assert.True(ProxyArguments.TryParse(
            [.. required, "--resolve", "API.example.com.=203.0.113.7,2001:db8::7", "--resolve", "db.example.org=203.0.113.9"], out var options, out var error), error);
        Assert.True(ProxyArguments.TryParse(required, out var defaults, out error), error);

        Assert.Equal(["api.example.com", "db.example.org"], options!.Resolve.Keys.Order(StringComparer.Ordinal));
        Assert.Equal([IPAddress.Parse("203.0.113.7"), IPAddress.Parse("2001:db8::7")], options.Resolve["api.example.com"]);
        Assert.Equal([IPAddress.Parse("203.0.113.9")], options.Resolve["db.example.org"]);
        Assert.Empty(defaults!.Resolve);
    }

    [Fact]
    public void Nameservers_are_addresses_with_port_53_by_default_or_none()
    {
        string[] required = ["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x"];

        Assert.True(ProxyArguments.TryParse([.. required, "--nameservers", "127.0.0.53,[::1]:5353,10.96.0.10:54"], out var listed, out var error), error);
        Assert.True(ProxyArguments.TryParse([.. required, "--nameservers", "none"], out var none, out error), error);
        Assert.True(ProxyArguments.TryParse(required, out var system, out error), error);

        Assert.Equal(["127.0.0.53:53", "[::1]:5353", "10.96.0.10:54"], listed!.Nameservers!.Select(e => e.ToString()));
        Assert.Empty(none!.Nameservers!);
        Assert.Null(system!.Nameservers); // /etc/resolv.conf's
        foreach (var bad in new[] { "", "10", "dns.example.com", "127.0.0.1,", "127.0.0.1:x" })
        {
            Assert.False(ProxyArguments.TryParse([.. required, "--nameservers", bad], out _, out error), bad);
            Assert.Equal($"--nameservers: '{bad}' is not none or a list of IP[:PORT]", error);
        }
    }

    [Theory]
    [InlineData("api.example.com", "--resolve: 'api.example.com' is not NAME=IP[,IP...]")]
    [InlineData("=203.0.113.7", "--resolve: '' in '=203.0.113.7' is not a host name")]
    [InlineData(".=203.0.113.7", "--resolve: '.' in '.=203.0.113.7' is not a host name")]
    [InlineData("a..b=203.0.113.7", "--resolve: 'a..b' in 'a..b=203.0.113.7' is not a host name")]
    [InlineData("api.example.com=", "--resolve: '' in 'api.example.com=' is not an IP address")]
    [InlineData("api.example.com=203.0.113.300", "--resolve: '203.0.113.300' in 'api.example.com=203.0.113.300' is not an IP address")]
    [InlineData("api.example.com=203.0.113.7,", "--resolve: '' in 'api.example.com=203.0.113.7,' is not an IP address")]
    [InlineData("api.example.com=10", "--resolve: '10' in 'api.example.com=10' is not an IP address")]
    [InlineData("api.example.com=api.example.net", "--resolve: 'api.example.net' in 'api.example.com=api.example.net' is not an IP address")]
    public void A_bad_resolve_entry_is_refused_saying_what_is_wrong(string value, string expected)
    {
        Assert.False(ProxyArguments.TryParse(["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x", "--resolve", value], out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void A_name_resolved_twice_is_refused()
    {
        Assert.False(ProxyArguments.TryParse(
            ["--pod", "a/b", "--pod-ip", "127.0.0.1", "--control-plane", "http://x", "--resolve", "api.example.com=203.0.113.7", "--resolve", "API.example.com.=203.0.113.8"],
            out _, out var error));
        Assert.Equal("--resolve: api.example.com is given twice", error);
    }
}
