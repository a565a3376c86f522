using System.Text.Json;
using System.Text.Json.Nodes;
using Recorder.Core.Api;
using Recorder.Core.Edits;
using Xunit;

namespace Recorder.Core.Tests.Edits;

/// <summary>The effective state as a pure function of the history, and the undo data each edit records.</summary>
public sealed class EditStateTests
{
    [Fact]
    public void No_history_is_the_untouched_recording()
    {
        var state = EditState.Compute(0, []);

        Assert.Equal((null, null, 0, 0, false, false), (state.Trim, state.Crop, state.Filters.Count, state.Overlays.Count, state.CanUndo, state.CanRedo));
    }

    [Fact]
    public void Later_trims_and_crops_replace_earlier_ones()
    {
        var state = EditState.Compute(4,
        [
            Applied(1, new TrimParameters(1, 10)),
            Applied(2, new CropParameters(0, 0, 100, 100)),
            Applied(3, new TrimParameters(2, 8)),
            Applied(4, new CropParameters(10, 10, 50, 50)),
        ]);

        Assert.Equal(new TrimWindow(2, 8), state.Trim);
        Assert.Equal(new CropRect(10, 10, 50, 50), state.Crop);
        Assert.Equal(4, state.Version);
    }

    [Fact]
    public void Filters_combine_by_name_in_a_fixed_order_and_a_neutral_value_turns_one_off()
    {
        var state = EditState.Compute(5,
        [
            Applied(1, new FilterParameters("blur", 3)),
            Applied(2, new FilterParameters("brightness", 0.5m)),
            Applied(3, new FilterParameters("blur", 5)),
            Applied(4, new FilterParameters("sepia", 1)),
            Applied(5, new FilterParameters("sepia", 0)),
        ]);

        Assert.Equal([("brightness", 0.5m), ("blur", 5m)], state.Filters.Select(pair => (pair.Key, pair.Value)));
    }

    [Fact]
    public void Overlays_accumulate_in_history_order_and_carry_the_edit_that_added_them()
    {
        var state = EditState.Compute(2,
        [
            Applied(2, Overlay("second"), id: 21),
            Applied(1, Overlay("first"), id: 11),
        ]);

        Assert.Equal([(11L, "first"), (21L, "second")], state.Overlays.Select(overlay => (overlay.EditId, overlay.Text)));
    }

    [Fact]
    public void Only_applied_edits_count_undone_ones_can_be_redone_and_discarded_ones_are_gone()
    {
        var state = EditState.Compute(9,
        [
            Applied(1, new TrimParameters(1, 10)),
            Edit(2, EditStates.Discarded, new TrimParameters(3, 4)),
            Applied(3, new FilterParameters("grayscale", 1)),
            Edit(4, EditStates.Undone, new TrimParameters(5, 6)),
        ]);

        Assert.Equal(new TrimWindow(1, 10), state.Trim);
        Assert.Equal(["grayscale"], state.Filters.Keys);
        Assert.True(state.CanUndo);
        Assert.True(state.CanRedo);
    }

    /// <summary>The scenario of the API: apply three, undo two, redo one, then a new edit cuts off the redo branch.</summary>
    [Fact]
    public void Undo_redo_and_a_new_edit_move_the_state_step_by_step()
    {
        var history = new History();
        history.Apply(new TrimParameters(1, 10));
        history.Apply(new CropParameters(0, 0, 640, 360));
        history.Apply(new FilterParameters("contrast", 2));
        Assert.Equal((new TrimWindow(1, 10), new CropRect(0, 0, 640, 360), 1), Summary(history.State));

        history.Undo();
        Assert.Equal((new TrimWindow(1, 10), new CropRect(0, 0, 640, 360), 0), Summary(history.State));
        history.Undo();
        Assert.Equal((new TrimWindow(1, 10), (CropRect?)null, 0), Summary(history.State));
        Assert.True(history.State.CanRedo);

        history.Redo();
        Assert.Equal((new TrimWindow(1, 10), new CropRect(0, 0, 640, 360), 0), Summary(history.State));

        history.Apply(new TrimParameters(2, 3));
        Assert.Equal((new TrimWindow(2, 3), new CropRect(0, 0, 640, 360), 0), Summary(history.State));
        Assert.False(history.State.CanRedo);
        Assert.Equal([EditStates.Applied, EditStates.Applied, EditStates.Discarded, EditStates.Applied], history.Edits.Select(edit => edit.State));

        history.Undo();
        history.Undo();
        history.Undo();
        Assert.Equal(((TrimWindow?)null, (CropRect?)null, 0), Summary(history.State));
        Assert.False(history.State.CanUndo);
    }

    [Fact]
    public void Undo_data_names_exactly_what_the_edit_replaced()
    {
        var before = EditState.Compute(3,
        [
            Applied(1, new TrimParameters(1, 10)),
            Applied(2, new FilterParameters("brightness", 0.5m)),
            Applied(3, Overlay("hello"), id: 30),
        ]);

        Assert.Equal("""{"trim":{"start":1,"end":10}}""", before.UndoData(new TrimParameters(0, 1)).ToJsonString());
        Assert.Equal("""{"crop":null}""", before.UndoData(new CropParameters(0, 0, 1, 1)).ToJsonString());
        Assert.Equal("""{"filters":{"brightness":0.5}}""", before.UndoData(new FilterParameters("blur", 1)).ToJsonString());
        Assert.Equal(
            """{"overlays":[{"editId":30,"text":"hello","x":0.5,"y":0.5,"fontSize":24,"color":"#FFFFFF","start":0,"end":1}]}""",
            before.UndoData(Overlay("again")).ToJsonString());
    }

    /// <summary>
    /// For any history, putting an edit's undo data back into the state after it gives the state before
    /// it: the undo data is sufficient on its own, and an edit changes nothing beyond what it records.
    /// </summary>
    [Fact]
    public void Restoring_the_undo_data_of_any_edit_gives_the_state_before_it()
    {
        var random = new Random(20261125);
        var state = EditState.Empty(0);
        for (var id = 1; id <= 300; id++)
        {
            var edit = RandomEdit(random);
            var undoData = state.UndoData(edit);
            var after = state.Apply(id, edit);

            Assert.Equal(JsonOf(state), JsonOf(Restore(after, undoData)));
            state = after;
        }
    }

    private static EditState Restore(EditState state, JsonObject undoData)
    {
        var (part, value) = undoData.Single();
        return part switch
        {
            "trim" => state with { Trim = value.Deserialize<TrimWindow>(JsonRequest.SerializerOptions) },
            "crop" => state with { Crop = value.Deserialize<CropRect>(JsonRequest.SerializerOptions) },
            "filters" => state with { Filters = value.Deserialize<Dictionary<string, decimal>>(JsonRequest.SerializerOptions)! },
            "overlays" => state with { Overlays = value.Deserialize<List<TextOverlay>>(JsonRequest.SerializerOptions)! },
            _ => throw new InvalidOperationException(part),
        };
    }

    private static EditParameters RandomEdit(Random random)
    {
        decimal Fraction() => random.Next(0, 101) / 100m;
        return random.Next(4) switch
        {
            0 => new TrimParameters(random.Next(0, 5), random.Next(5, 10)),
            1 => new CropParameters(random.Next(0, 100), random.Next(0, 100), random.Next(1, 100), random.Next(1, 100)),
            2 => FilterDefinitions.All[random.Next(FilterDefinitions.All.Count)] switch
            {
                var filter => new FilterParameters(filter.Name, random.Next(3) == 0 ? filter.Neutral : filter.Min + (filter.Max - filter.Min) * Fraction()),
            },
            _ => new TextOverlayParameters("t" + random.Next(), Fraction(), Fraction(), random.Next(8, 201), "#00FF00", 0, 1),
        };
    }

    private static string JsonOf(EditState state) => JsonSerializer.Serialize(state, JsonRequest.SerializerOptions);

    private static (TrimWindow?, CropRect?, int) Summary(EditState state) => (state.Trim, state.Crop, state.Filters.Count);

    private static TextOverlayParameters Overlay(string text) => new(text, 0.5m, 0.5m, 24, "#FFFFFF", 0, 1);

    private static HistoryEdit Applied(int sequence, EditParameters parameters, long? id = null) => Edit(sequence, EditStates.Applied, parameters, id);

    private static HistoryEdit Edit(int sequence, string state, EditParameters parameters, long? id = null) => new(id ?? sequence * 10, sequence, state, parameters);

    /// <summary>The service's history rules over an in-memory list: what the database rows would hold.</summary>
    private sealed class History
    {
        public List<HistoryEdit> Edits { get; } = [];

        public EditState State => EditState.Compute(Edits.Count, Edits);

        public void Apply(EditParameters parameters)
        {
            for (var i = 0; i < Edits.Count; i++)
            {
                if (Edits[i].State == EditStates.Undone)
                {
                    Edits[i] = Edits[i] with { State = EditStates.Discarded };
                }
            }
            Edits.Add(new HistoryEdit(Edits.Count + 1, Edits.Count + 1, EditStates.Applied, parameters));
        }

        public void Undo() => Move(Edits.FindLastIndex(edit => edit.State == EditStates.Applied), EditStates.Undone);

        public void Redo() => Move(Edits.FindIndex(edit => edit.State == EditStates.Undone), EditStates.Applied);

        private void Move(int index, string state) => Edits[index] = Edits[index] with { State = state };
    }
}
