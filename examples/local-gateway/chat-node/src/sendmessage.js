// sendmessage: post {"action": "sendmessage", "data": ...} to every connection.
const {
  DynamoDBClient,
  DeleteItemCommand,
  ScanCommand,
} = require("@aws-sdk/client-dynamodb");
const {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} = require("@aws-sdk/client-apigatewaymanagementapi");

const ddb = new DynamoDBClient({});

async function* connectionIds() {
  let ExclusiveStartKey;
  do {
    const page = await ddb.send(
      new ScanCommand({
        TableName: process.env.TABLE_NAME,
        ProjectionExpression: "connectionId",
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) yield item.connectionId.S;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
}

exports.handler = async (event) => {
  const { domainName, stage, authorizer } = event.requestContext;
  const { data = "" } = JSON.parse(event.body || "{}");
  const message = JSON.stringify({ from: authorizer?.user ?? "anonymous", data });

  const api = new ApiGatewayManagementApiClient({
    endpoint: `https://${domainName}/${stage}`,
  });
  for await (const connectionId of connectionIds()) {
    try {
      await api.send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: message }),
      );
    } catch (err) {
      if (!(err instanceof GoneException)) throw err;
      // The client went away without a $disconnect reaching us.
      await ddb.send(
        new DeleteItemCommand({
          TableName: process.env.TABLE_NAME,
          Key: { connectionId: { S: connectionId } },
        }),
      );
    }
  }
  return { statusCode: 200, body: "Data sent." };
};
