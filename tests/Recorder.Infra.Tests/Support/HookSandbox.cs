using System.Text;

namespace Recorder.Infra.Tests.Support;

/// <summary>One call a stand-in received: its command, arguments and environment.</summary>
public sealed record StubCall(string Command, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment)
{
    /// <summary>The arguments joined by spaces, as the rules' patterns see them.</summary>
    public string Line => string.Join(' ', Arguments);

    /// <summary>Whether the command line starts with these words (<c>"containerapp function keys list"</c>).</summary>
    public bool Is(string command, string words) => Command == command && (Line == words || Line.StartsWith(words + " ", StringComparison.Ordinal));

    /// <summary>The value after an option (<c>--key-name</c>), or null.</summary>
    public string? Option(string name)
    {
        var index = Arguments.ToList().IndexOf(name);
        return index >= 0 && index + 1 < Arguments.Count ? Arguments[index + 1] : null;
    }
}

/// <summary>What a stand-in prints, and its exit code; <c>Effect</c>: bash run first, in the hook's folder (e.g. files a real command would write).</summary>
public sealed record StubAnswer(string Output = "", int ExitCode = 0, string Effect = "");

/// <summary>
/// infra/hooks copied into a scratch repository root and run with bash, in an environment of the test's alone,
/// with stand-ins for the commands the hooks call (az, azd, dotnet, psql …) first on PATH. A stand-in records
/// each call (arguments, environment, and a copy of every <c>@file</c> argument with its folder's mode) and
/// answers for the first rule whose bash pattern matches its arguments (<c>"$*"</c>): the rule's answers in
/// turn, the last one repeated. Without a matching rule it prints nothing and succeeds.
/// </summary>
public sealed class HookSandbox : IDisposable
{
    private readonly string stubs;
    private readonly string calls;
    private readonly string captured;
    private readonly string answers;
    private readonly Dictionary<string, List<(string Pattern, int Rule)>> rules = [];
    private readonly Dictionary<string, string?> stubPaths = [];
    private int ruleCount;

    public HookSandbox()
    {
        Root = Directory.CreateTempSubdirectory("recorder-hooks-").FullName;
        stubs = Directory.CreateDirectory(Path.Combine(Root, ".stubs", "bin")).FullName;
        calls = Directory.CreateDirectory(Path.Combine(Root, ".stubs", "calls")).FullName;
        captured = Directory.CreateDirectory(Path.Combine(Root, ".stubs", "captured")).FullName;
        answers = Directory.CreateDirectory(Path.Combine(Root, ".stubs", "answers")).FullName;
        Directory.CreateDirectory(TemporaryDirectory);
        foreach (var file in Directory.EnumerateFiles(Repository.HooksDirectory, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(Root, "infra", "hooks", Path.GetRelativePath(Repository.HooksDirectory, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }
    }

    /// <summary>The scratch repository root: the hooks' <c>repo_root</c>.</summary>
    public string Root { get; }

    /// <summary>TMPDIR of the hooks: where their private temporary folders go.</summary>
    public string TemporaryDirectory => Path.Combine(Root, ".tmp");

    /// <summary>A stand-in for <paramref name="command"/>, on PATH or at <paramref name="relativePath"/> under the root.</summary>
    public HookSandbox Stub(string command, string? relativePath = null)
    {
        stubPaths[command] = relativePath;
        rules.TryAdd(command, []);
        return this;
    }

    /// <summary>Answers for calls of <paramref name="command"/> whose arguments match <paramref name="pattern"/> (* is any text).</summary>
    public HookSandbox Answer(string command, string pattern, params StubAnswer[] answersInTurn)
    {
        Stub(command, stubPaths.GetValueOrDefault(command));
        var rule = ++ruleCount;
        rules[command].Add((pattern, rule));
        for (var turn = 0; turn < answersInTurn.Length; turn++)
        {
            File.WriteAllText(Path.Combine(answers, $"{rule}.{turn + 1}.out"), answersInTurn[turn].Output);
            File.WriteAllText(Path.Combine(answers, $"{rule}.{turn + 1}.code"), answersInTurn[turn].ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(answers, $"{rule}.{turn + 1}.effect"), answersInTurn[turn].Effect);
        }
        File.WriteAllText(Path.Combine(answers, $"{rule}.last"), answersInTurn.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return this;
    }

    /// <summary>Runs infra/hooks/<paramref name="hook"/> with bash from the root, with these variables only (and PATH, HOME, TMPDIR).</summary>
    public Task<ProcessResult> RunAsync(string hook, IReadOnlyDictionary<string, string> environment)
    {
        foreach (var (command, relativePath) in stubPaths)
        {
            var path = relativePath is null ? Path.Combine(stubs, command) : Path.Combine(Root, relativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, StubScript(command));
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        var variables = new Dictionary<string, string>(environment)
        {
            ["PATH"] = $"{stubs}:/usr/bin:/bin",
            ["HOME"] = Root,
            ["TMPDIR"] = TemporaryDirectory,
        };
        return ProcessRunner.RunAsync("bash", [Path.Combine(Root, "infra", "hooks", hook)], Root, TimeSpan.FromSeconds(60), variables, inheritEnvironment: false);
    }

    /// <summary>Every call the stand-ins received, in order.</summary>
    public IReadOnlyList<StubCall> Calls()
        => Directory.EnumerateDirectories(calls).Order(StringComparer.Ordinal).Select(call => new StubCall(
            File.ReadAllText(Path.Combine(call, "command")),
            Fields(Path.Combine(call, "arguments")),
            Fields(Path.Combine(call, "environment")).Select(entry => entry.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair.Length > 1 ? pair[1] : "")))
            .ToList();

    /// <summary>The content of a file a stand-in was given as <c>@path</c>, and the mode of its folder then (e.g. "700").</summary>
    public (string Content, string FolderMode) Captured(string fileName)
        => (File.ReadAllText(Path.Combine(captured, fileName)), File.ReadAllText(Path.Combine(captured, fileName + ".folder-mode")).Trim());

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static List<string> Fields(string path)
    {
        var text = File.ReadAllText(path);
        return text.Length == 0 ? [] : text.TrimEnd('\0').Split('\0').ToList();
    }

    private string StubScript(string command)
    {
        var script = new StringBuilder($$"""
            #!/usr/bin/env bash
            # Stand-in for {{command}} (HookSandbox): records the call, then answers per the test's rules.
            n=1
            while ! mkdir "{{calls}}/$(printf %05d "$n")" 2>/dev/null; do n=$((n + 1)); done
            call="{{calls}}/$(printf %05d "$n")"
            printf '%s' '{{command}}' >"$call/command"
            printf '%s\0' "$@" >"$call/arguments"
            env -0 >"$call/environment"
            for argument in "$@"; do
              if [[ $argument == @* && -f ${argument#@} ]]; then
                cp "${argument#@}" "{{captured}}/$(basename "${argument#@}")"
                stat -c %a "$(dirname "${argument#@}")" >"{{captured}}/$(basename "${argument#@}").folder-mode"
              fi
            done
            answer() {
              local turn
              turn=$(( $(cat "{{answers}}/$1.count" 2>/dev/null || echo 0) + 1 ))
              echo "$turn" >"{{answers}}/$1.count"
              [[ -f "{{answers}}/$1.$turn.out" ]] || turn=$(cat "{{answers}}/$1.last")
              bash "{{answers}}/$1.$turn.effect"
              cat "{{answers}}/$1.$turn.out"
              exit "$(cat "{{answers}}/$1.$turn.code")"
            }
            case "$*" in

            """);
        foreach (var (pattern, rule) in rules[command])
        {
            // Literal text quoted, * left to match: a case pattern with spaces must not be bare.
            var casePattern = string.Join('*', pattern.Split('*').Select(part => part.Length == 0 ? "" : "'" + part.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
            script.Append(System.Globalization.CultureInfo.InvariantCulture, $"  {casePattern}) answer {rule} ;;\n");
        }
        script.Append("esac\nexit 0\n");
        return script.ToString();
    }
}
