using System.Net;
using Weft.Cli.Local;

namespace Weft.Cli.Tests.Local;

/// <summary><c>weft-hosts.yaml</c>: the external host names a local mesh's sidecars resolve without DNS.</summary>
public sealed class HostsFileTests
{
    [Fact]
    public void A_name_takes_an_address_a_list_or_a_Service_and_sidecars_get_resolve_flags_in_name_order()
    {
        var hosts = HostsFile.Parse("""
            # comments are fine
            Web.Example.Test.: 127.0.0.9
            api.example.test: [127.0.0.7, "::1"]
            db.example.test: {service: outside/db}
            """, "weft-hosts.yaml");

        var resolved = hosts.Resolve(service => service == "outside/db" ? IPAddress.Parse("127.52.1.4") : throw new InvalidOperationException(service));

        Assert.Equal(
            ["--resolve", "api.example.test=127.0.0.7,::1", "--resolve", "db.example.test=127.52.1.4", "--resolve", "web.example.test=127.0.0.9"],
            resolved.SidecarArguments());
    }

    [Fact]
    public void No_file_or_an_empty_one_names_nothing()
    {
        var empty = Directory.CreateTempSubdirectory("weft-hosts-");
        try
        {
            Assert.Empty(HostsFile.Load(empty.FullName).SidecarArguments());
        }
        finally
        {
            empty.Delete();
        }

        Assert.Empty(HostsFile.Parse("", "weft-hosts.yaml").Names);
        Assert.Empty(HostsFile.Parse("# nothing\n", "weft-hosts.yaml").Names);
    }

    [Theory]
    [InlineData("api.example.test: not-an-ip", "weft-hosts.yaml line 1: api.example.test: \"not-an-ip\" is not an IP address.")]
    [InlineData("api.example.test: []", "weft-hosts.yaml line 1: api.example.test has no address.")]
    [InlineData("\"bad name!\": 127.0.0.1", "weft-hosts.yaml line 1: \"bad name!\" is not a DNS host name.")]
    [InlineData("a.test: 127.0.0.1\nA.test: 127.0.0.2", "weft-hosts.yaml line 2: a.test is listed twice.")]
    [InlineData("a.test: {service: nonamespace}", "weft-hosts.yaml line 1: a.test: expected {service: namespace/name}.")]
    [InlineData("[a, b]", "weft-hosts.yaml: expected a map of host name to address(es), like \"api.example.test: 127.0.0.1\".")]
    public void Bad_entries_are_refused_naming_the_line(string yaml, string message) =>
        Assert.Equal(message, Assert.Throws<FormatException>(() => HostsFile.Parse(yaml, "weft-hosts.yaml")).Message);

    [Fact]
    public void Readers_of_a_manifests_directory_skip_it() =>
        Assert.Contains(HostsFile.LocalFileName, ImageMap.NotManifests);
}
