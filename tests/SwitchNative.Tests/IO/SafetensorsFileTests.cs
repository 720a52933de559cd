// The safetensors reader accepts the fixtures and rejects truncated, corrupted and hostile
// files with a message, never a crash or a giant allocation.
using System.Text;
using SwitchNative.IO;
using SwitchNative.Tests.Infrastructure;

namespace SwitchNative.Tests.IO;

public sealed class SafetensorsFileTests
{
    private static byte[] Build(string header, int dataBytes)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataBytes];
        BitConverter.GetBytes((ulong)json.Length).CopyTo(bytes, 0);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    [Fact]
    public void Reads_a_fixture_with_its_metadata_and_shapes()
    {
        var file = SafetensorsFile.Read(FixturePaths.StatePath("top1_drops"));
        Assert.Equal("8", file.Metadata["num_experts"]);
        Assert.Equal(new[] { 8, 64, 32 }, file.Entry("experts.w1").Shape);
        Assert.Equal(64 * 32, file.ReadFloats("x").Length);
        Assert.Equal(64, file.ReadInts("expert_index").Length);
        Assert.Throws<InvalidDataException>(() => file.ReadInts("x"));
        Assert.Contains("router.weight", Assert.Throws<KeyNotFoundException>(() => file.Entry("nope")).Message);
    }

    [Fact]
    public void Reads_a_small_hand_made_file()
    {
        var bytes = Build("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"__metadata__\":{\"k\":\"v\"}}", 8);
        BitConverter.GetBytes(1.5f).CopyTo(bytes, bytes.Length - 8);
        BitConverter.GetBytes(-2f).CopyTo(bytes, bytes.Length - 4);
        var file = SafetensorsFile.Parse(bytes);
        Assert.Equal(new[] { 1.5f, -2f }, file.ReadFloats("a"));
        Assert.Equal("v", file.Metadata["k"]);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "outside")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "overlap")]
    [InlineData("{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "unsupported dtype")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "bad dimension")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2147483647,2147483647,2147483647],\"data_offsets\":[0,8]}}", 8, "large")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "outside")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets")]
    [InlineData("{\"a\":", 8, "not valid JSON")]
    [InlineData("[1,2]", 8, "not a JSON object")]
    public void Rejects_corrupted_headers(string header, int dataBytes, string message)
    {
        var error = Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(Build(header, dataBytes)));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void Rejects_truncated_files_and_giant_header_lengths()
    {
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse([1, 2, 3])).Message);
        var giant = new byte[16];
        BitConverter.GetBytes(ulong.MaxValue).CopyTo(giant, 0);
        Assert.Contains("exceeds", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(giant)).Message);
        var fixture = File.ReadAllBytes(FixturePaths.StatePath("dropless"));
        var truncated = fixture.AsSpan(0, fixture.Length - 100).ToArray();
        Assert.Contains("outside", Assert.Throws<InvalidDataException>(() => SafetensorsFile.Parse(truncated)).Message);
    }
}
