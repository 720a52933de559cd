// Checkpoints round-trip exactly, and loading rejects truncated, corrupted and hostile files
// with a clear message before allocating anything large.
using System.Text;
using SwitchNative.Devices;
using SwitchNative.Devices.Reference;
using SwitchNative.IO;
using SwitchNative.Nn;
using SwitchNative.Tests.Infrastructure;
using SwitchNative.Training;

namespace SwitchNative.Tests.Training;

public sealed class CheckpointTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"switchnative-checkpoint-{Guid.NewGuid():N}");
    private readonly ReferenceDevice _device = new();

    private static readonly SwitchLmConfig Config = new() { VocabularySize = 30, ContextLength = 8, ModelDim = 8, LayerCount = 2, HeadCount = 2, FfnDim = 12, ExpertCount = 3 };

    public CheckpointTests() => Directory.CreateDirectory(_root);

    public void Dispose()
    {
        _device.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    private string SavedModel()
    {
        using var model = new SwitchLm(_device, Config);
        model.Initialize(3);
        string path = Path.Combine(_root, "model.safetensors");
        Checkpoint.SaveModel(model, path, 42);
        return path;
    }

    [Fact]
    public void A_saved_model_loads_with_identical_parameters_and_its_config()
    {
        using var original = new SwitchLm(_device, Config);
        original.Initialize(3);
        string path = SavedModel();
        var (loaded, step) = Checkpoint.LoadModel(_device, path);
        using (loaded)
        {
            Assert.Equal(42, step);
            Assert.Equal(Config, loaded.Config);
            Close.Bitwise(_device.ToArray(original.Parameters.Flat), _device.ToArray(loaded.Parameters.Flat), "parameters");
        }
        // Readable as plain safetensors: every parameter under its checkpoint name.
        var file = SafetensorsFile.Read(path);
        Assert.Contains("blocks.1.ffn.experts.w1", file.Names);
        Assert.Equal(new[] { 3, 12, 8 }, file.Entry("blocks.1.ffn.experts.w1").Shape);
    }

    [Fact]
    public void Truncated_files_are_rejected()
    {
        string path = SavedModel();
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, path));
        Assert.Contains("outside", error.Message);
    }

    private string Rewrite(Func<SafetensorsFile, List<SafetensorsTensor>> tensors, Func<Dictionary<string, string>, Dictionary<string, string>>? metadata = null)
    {
        var file = SafetensorsFile.Read(SavedModel());
        string path = Path.Combine(_root, "hostile.safetensors");
        SafetensorsWriter.Write(path, tensors(file), (metadata ?? (m => m))(new Dictionary<string, string>(file.Metadata)));
        return path;
    }

    private static List<SafetensorsTensor> All(SafetensorsFile file) =>
        file.Names.Select(name => new SafetensorsTensor(name, file.Entry(name).Shape, file.ReadFloats(name))).ToList();

    [Fact]
    public void Files_that_do_not_match_their_config_are_rejected()
    {
        var missing = Rewrite(file => All(file).Where(t => t.Name != "final_norm.weight").ToList());
        Assert.Contains("lacks the tensor 'final_norm.weight'", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, missing)).Message);

        var extra = Rewrite(file => All(file).Append(new SafetensorsTensor("evil", [1], [1f])).ToList());
        Assert.Contains("unexpected tensor 'evil'", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, extra)).Message);

        var reshaped = Rewrite(file => All(file).Select(t => t.Name == "blocks.0.ffn.w1" ? t with { Shape = [t.Shape[1], t.Shape[0]] } : t).ToList());
        Assert.Contains("the config needs F32", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, reshaped)).Message);

        var integers = Rewrite(file => All(file).Select(t => t.Name == "final_norm.weight" ? new SafetensorsTensor(t.Name, t.Shape, null, new int[8]) : t).ToList());
        Assert.Contains("is I32", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, integers)).Message);

        var noConfig = Rewrite(All, m => { m.Remove("config"); return m; });
        Assert.Contains("not a SwitchNative checkpoint", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, noConfig)).Message);

        // A config that asks for a giant model is refused by validation or by the shape check, never allocated.
        var giant = Rewrite(All, m => { m["config"] = Config.ToJson().Replace("\"VocabularySize\": 30", "\"VocabularySize\": 2000000000"); return m; });
        Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, giant));

        var badJson = Rewrite(All, m => { m["config"] = "{ not json"; return m; });
        Assert.Contains("invalid model config", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, badJson)).Message);
    }

    [Fact]
    public void Corrupted_headers_are_rejected()
    {
        string path = SavedModel();
        var bytes = File.ReadAllBytes(path);
        // Overwrite the first byte of the JSON header: it is no longer JSON.
        bytes[8] = (byte)'#';
        File.WriteAllBytes(path, bytes);
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, path)).Message);
        File.WriteAllBytes(path, Encoding.UTF8.GetBytes("hello"));
        Assert.Contains("too short", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadModel(_device, path)).Message);
    }
}
