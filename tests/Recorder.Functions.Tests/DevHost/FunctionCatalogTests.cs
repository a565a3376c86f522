using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Recorder.DevHost;
using Xunit;

namespace Recorder.Functions.Tests.DevHost;

public sealed class FunctionCatalogTests
{
    private static readonly IConfiguration Settings = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BlockingSchedule"] = "*/2 * * * * *",
            ["QueuePrefix"] = "Recordings",
            ["TextQueueName"] = "text-in",
            [QueueProbe.Connection] = "UseDevelopmentStorage=true",
            [FunctionCatalog.DefaultQueueConnection] = "UseDevelopmentStorage=true",
        })
        .Build();

    private static FunctionCatalog Create(params Type[] types) => FunctionCatalog.Create(types, Settings, "api");

    [Fact]
    public void Http_functions_are_described_with_prefixed_route_methods_and_auth_level()
    {
        var catalog = Create(typeof(KeyedFunctions), typeof(RouteFunctions));

        var keyed = Assert.Single(catalog.Http, f => f.Name == "Keyed");
        Assert.Equal("api/keyed", keyed.Route);
        Assert.Equal(["GET"], keyed.HttpMethods);
        Assert.Equal(AuthorizationLevel.Function, keyed.AuthLevel);
        Assert.Equal(TriggerKind.Http, keyed.Kind);

        var anyMethod = Assert.Single(catalog.Http, f => f.Name == "AnyMethod");
        Assert.Equal("api/AnyMethod", anyMethod.Route);
        Assert.Empty(anyMethod.HttpMethods);

        var getItem = Assert.Single(catalog.Http, f => f.Name == "GetItem");
        Assert.Equal(
            [new ParameterBinding("req", typeof(Microsoft.AspNetCore.Http.HttpRequest), ParameterSource.HttpRequest), new ParameterBinding("id", typeof(long), ParameterSource.RouteValue)],
            getItem.Parameters);
    }

    [Fact]
    public void Route_prefix_can_be_empty()
    {
        var catalog = FunctionCatalog.Create([typeof(KeyedFunctions)], Settings, "");

        Assert.Contains(catalog.Http, f => f.Route == "open");
    }

    [Fact]
    public void Timer_functions_are_described_with_expression_and_resolved_schedule()
    {
        var catalog = Create(typeof(BlockingTimer), typeof(StartupTimer));

        var blocking = Assert.Single(catalog.Timers, f => f.Name == "Blocking");
        Assert.Equal("%BlockingSchedule%", blocking.Schedule.Expression);
        Assert.Equal("*/2 * * * * *", blocking.Schedule.Resolved);
        Assert.False(blocking.RunOnStartup);
        Assert.Equal([ParameterSource.TimerInfo, ParameterSource.CancellationToken], blocking.Parameters.Select(p => p.Source));
        Assert.True(Assert.Single(catalog.Timers, f => f.Name == "OnStartup").RunOnStartup);
    }

    [Fact]
    public void Queue_functions_are_described_with_expression_resolved_name_and_connection()
    {
        var catalog = Create(typeof(JsonQueueFunction), typeof(TextQueueFunction), typeof(DefaultConnectionQueueFunction));

        var json = Assert.Single(catalog.Queues, f => f.Name == "JsonQueue");
        Assert.Equal(TriggerKind.Queue, json.Kind);
        Assert.Equal("%QueuePrefix%-json", json.QueueNameExpression);
        Assert.Equal("recordings-json", json.QueueName); // lower-cased, as the host does
        Assert.Equal("recordings-json-poison", json.PoisonQueueName);
        Assert.Equal(QueueProbe.Connection, json.Connection);
        Assert.Equal([new ParameterBinding("message", typeof(TestQueueMessage), ParameterSource.QueueMessage)], json.Parameters);

        Assert.Equal([ParameterSource.QueueMessage, ParameterSource.CancellationToken], Assert.Single(catalog.Queues, f => f.Name == "TextQueue").Parameters.Select(p => p.Source));
        Assert.Equal(FunctionCatalog.DefaultQueueConnection, Assert.Single(catalog.Queues, f => f.Name == "DefaultConnectionQueue").Connection);
    }

    [Fact]
    public void Poison_queue_has_no_poison_queue_of_its_own()
    {
        var catalog = FunctionCatalog.Create([typeof(TextQueueFunction)], new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TextQueueName"] = "ingest-poison",
            [QueueProbe.Connection] = "UseDevelopmentStorage=true",
        }).Build(), "api");

        Assert.Null(Assert.Single(catalog.Queues).PoisonQueueName);
    }

    [Fact]
    public void Identity_based_connection_is_accepted()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:queueServiceUri"] = "https://account.queue.core.windows.net",
        }).Build();

        Assert.Single(FunctionCatalog.Create([typeof(DefaultConnectionQueueFunction)], settings, "api").Queues);
    }

    [Fact]
    public void Table_lists_every_function()
    {
        var table = Create(typeof(KeyedFunctions), typeof(BlockingTimer)).ToTable();

        Assert.Contains("%BlockingSchedule% = */2 * * * * *", table);
        Assert.Contains("api/admin-only", table);
        Assert.Equal(5, table.Split('\n').Length); // header + 4 functions
    }

    [Fact]
    public void Table_lists_queue_functions_with_their_connection()
    {
        var table = Create(typeof(JsonQueueFunction)).ToTable();

        Assert.Contains("JsonQueue", table);
        Assert.Contains("%QueuePrefix%-json = recordings-json (TestQueues)", table);
    }

    [Theory]
    [InlineData(typeof(BodyParameterFunction), "TakesBody", "'payload'")]
    [InlineData(typeof(UnmatchedRouteValueFunction), "UnmatchedRouteValue", "'thingId'")]
    [InlineData(typeof(OptionalRouteValueFunction), "OptionalNotNullable", "nullable")]
    [InlineData(typeof(UnsupportedReturnFunction), "ReturnsString", "returns String")]
    [InlineData(typeof(TimerWithExtraParameterFunction), "TimerWithName", "'name'")]
    [InlineData(typeof(TimeSpanScheduleFunction), "TimeSpanTimer", "TimeSpan")]
    [InlineData(typeof(QueueWithExtraParameterFunction), "QueueWithName", "'name'")]
    [InlineData(typeof(QueueOfIntFunction), "QueueOfInt", "Int32")]
    [InlineData(typeof(QueueWithOutputFunction), "QueueWithOutput", "returns Task<String>")]
    [InlineData(typeof(InvalidQueueNameFunction), "InvalidQueueName", "'bad_queue'")]
    [InlineData(typeof(UnsetConnectionQueueFunction), "UnsetConnectionQueue", "'NoSuchStorage'")]
    [InlineData(typeof(MissingQueueSettingFunction), "UnsetQueueName", "'NoSuchQueueSetting'")]
    public void Functions_the_dev_host_cannot_run_stop_it_at_startup_naming_the_function(Type type, string function, string problem)
    {
        var error = Assert.Throws<DevHostStartupException>(() => Create(type));

        Assert.Contains(function, error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var error = Assert.Throws<DevHostStartupException>(
            () => Create(typeof(BodyParameterFunction), typeof(UnmatchedRouteValueFunction), typeof(KeyedFunctions)));

        Assert.Contains("TakesBody", error.Message);
        Assert.Contains("UnmatchedRouteValue", error.Message);
        Assert.DoesNotContain("Keyed", error.Message);
    }

    [Fact]
    public void Function_names_must_be_unique()
    {
        var error = Assert.Throws<DevHostStartupException>(() => Create(typeof(KeyedFunctions), typeof(KeyedFunctions)));

        Assert.Contains("Open: the name is used by more than one method", error.Message);
    }
}
