// The $connect REQUEST authorizer: ?token= must be the chat's token.
const { timingSafeEqual } = require("node:crypto");

function sameToken(given, expected) {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

exports.handler = async (event) => {
  const query = event.queryStringParameters ?? {};
  const allowed = sameToken(query.token ?? "", process.env.CHAT_TOKEN);
  const user = query.user ?? "anonymous";
  return {
    principalId: user,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [
        {
          Action: "execute-api:Invoke",
          Effect: allowed ? "Allow" : "Deny",
          Resource: event.methodArn,
        },
      ],
    },
    context: { user },
  };
};
