using Weft.Cli.Capture;

namespace Weft.Cli.Tests.Capture;

/// <summary>CAP_NET_ADMIN is read from the CapEff line of /proc/self/status before anything is touched.</summary>
public sealed class ProcessCapabilitiesTests
{
    [Theory]
    [InlineData("000001ffffffffff", true, true)]   // root
    [InlineData("000001fffeffcfff", false, false)] // root under setpriv --bounding-set=-net_admin,-net_raw
    [InlineData("0000000000003000", true, true)]   // an init container with only NET_ADMIN and NET_RAW
    [InlineData("0000000000000000", false, false)] // an ordinary user
    public void CAP_NET_ADMIN_is_bit_12_and_CAP_NET_RAW_bit_13_of_CapEff(string capEff, bool netAdmin, bool netRaw)
    {
        var status = $"Name:\tweft\nUmask:\t0022\nCapInh:\t0000000000000000\nCapPrm:\t{capEff}\nCapEff:\t{capEff}\nCapBnd:\t000001ffffffffff\n";

        var capabilities = ProcessCapabilities.FromStatus(status);

        Assert.NotNull(capabilities);
        Assert.Equal((netAdmin, netRaw), (capabilities.Has(ProcessCapabilities.NetAdmin), capabilities.Has(ProcessCapabilities.NetRaw)));
    }

    [Fact]
    public void A_status_without_CapEff_gives_no_answer_rather_than_no_capabilities()
    {
        Assert.Null(ProcessCapabilities.FromStatus("Name:\tweft\n"));
    }
}
