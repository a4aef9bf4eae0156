// The namespaces most specs import: the shared fixtures and helpers, the domain and its wire contracts, JSON, HTTP
// and the Kafka client, the portal's data and services.
global using System.Net;
global using System.Net.Http.Json;
global using System.Text;
global using System.Text.Json;
global using System.Text.Json.Nodes;
global using Confluent.Kafka;
global using KafkaMl.Core.Control;
global using KafkaMl.Core.Domain;
global using KafkaMl.Core.Formats;
global using KafkaMl.Core.Orchestration;
global using KafkaMl.Web.Apis;
global using KafkaMl.Web.Data;
global using KafkaMl.Web.Services;
global using Microsoft.EntityFrameworkCore;
global using Microsoft.Extensions.DependencyInjection;
global using Xunit.Abstractions;
global using KafkaMl.Tests.Support;
