using System.IO.Pipelines;
using System.Text;
using Weft.Echo.Http;

namespace Weft.Echo.Tests;

public sealed class H2cPriorKnowledgeTests
{
    [Fact]
    public async Task A_preface_arriving_in_pieces_is_detected_and_not_consumed()
    {
        var pipe = new Pipe();
        var detecting = H2cPriorKnowledge.StartsWithPrefaceAsync(pipe.Reader, CancellationToken.None).AsTask();

        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n"));
        Assert.False(detecting.IsCompleted);
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes("\r\nSM\r\n\r\n\0\0"));

        Assert.True(await detecting);
        var read = await pipe.Reader.ReadAsync();
        Assert.Equal(26, read.Buffer.Length);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("PRI * HTTP/1.1\r\n")]
    [InlineData("P")]
    public async Task Anything_else_is_http1(string start)
    {
        var pipe = new Pipe();
        await pipe.Writer.WriteAsync(Encoding.ASCII.GetBytes(start));
        if (start.Length == 1)
        {
            await pipe.Writer.CompleteAsync();
        }

        Assert.False(await H2cPriorKnowledge.StartsWithPrefaceAsync(pipe.Reader, CancellationToken.None));
    }
}
