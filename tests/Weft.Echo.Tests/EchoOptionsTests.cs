using System.Net;

namespace Weft.Echo.Tests;

public sealed class EchoOptionsTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static EchoOptions Parse(string[] args, Dictionary<string, string>? environment = null) =>
        EchoOptions.Parse(args, name => (environment ?? NoEnvironment).GetValueOrDefault(name));

    [Fact]
    public void Conformance_manifest_args_give_tcp_http_grpc_and_a_tls_http_port()
    {
        var options = Parse(["--tcp=9090", "--port=8080", "--grpc=7070", "--port=8443", "--tls=8443", "--crt=/cert.crt", "--key=/cert.key"]);

        Assert.Equal([8080, 8443], options.HttpPorts);
        Assert.Equal([7070], options.GrpcPorts);
        Assert.Equal([9090], options.TcpPorts);
        Assert.Equal([8443], options.TlsPorts);
        Assert.Equal("/cert.crt", options.CertificatePath);
        Assert.Equal("/cert.key", options.KeyPath);
        Assert.Empty(options.Warnings);
    }

    [Fact]
    public void No_args_use_the_upstream_image_defaults()
    {
        var options = Parse([]);

        Assert.Equal([8080], options.HttpPorts);
        Assert.Equal([7070], options.GrpcPorts);
        Assert.Equal([9090], options.TcpPorts);
        Assert.Empty(options.TlsPorts);
        Assert.Equal(IPAddress.Any, options.BindAddress);
    }

    [Fact]
    public void Space_separated_values_and_comma_lists_are_accepted()
    {
        var options = Parse(["--port", "8080", "--port=81,82", "--grpc", "7071", "--version", "v2"]);

        Assert.Equal([8080, 81, 82], options.HttpPorts);
        Assert.Equal([7071], options.GrpcPorts);
        Assert.Equal([9090], options.TcpPorts);
        Assert.Equal("v2", options.ServiceVersion);
    }

    [Fact]
    public void Pod_environment_sets_bind_address_hostname_version_and_cluster()
    {
        var options = Parse([], new()
        {
            ["WEFT_POD_IP"] = "127.40.2.7",
            ["HOSTNAME"] = "echo-v1-abc",
            ["SERVICE_VERSION"] = "v1",
            ["CLUSTER_ID"] = "local",
        });

        Assert.Equal(IPAddress.Parse("127.40.2.7"), options.BindAddress);
        Assert.Equal("echo-v1-abc", options.Hostname);
        Assert.Equal("v1", options.ServiceVersion);
        Assert.Equal("local", options.Cluster);
    }

    [Fact]
    public void Bind_flag_overrides_the_pod_ip_and_version_flag_overrides_the_environment()
    {
        var options = Parse(["--bind", "127.0.0.9", "--version=v3"], new() { ["WEFT_POD_IP"] = "127.40.2.7", ["SERVICE_VERSION"] = "v1" });

        Assert.Equal(IPAddress.Parse("127.0.0.9"), options.BindAddress);
        Assert.Equal("v3", options.ServiceVersion);
    }

    [Fact]
    public void Unknown_flags_are_warnings_not_errors()
    {
        var options = Parse(["--server-first=9091", "stray"]);

        Assert.Equal(2, options.Warnings.Count);
    }

    [Theory]
    [InlineData("--port=http")]
    [InlineData("--port=70000")]
    [InlineData("--port")]
    [InlineData("--bind=not-an-ip")]
    public void Bad_values_are_format_errors(string arg)
    {
        Assert.Throws<FormatException>(() => Parse([arg]));
    }
}
