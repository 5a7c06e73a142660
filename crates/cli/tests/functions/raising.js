// A function for aws-lambda-ric that fails as functions do.
//
// $connect throws when the query has raise=1. A message containing "raise" throws; any
// other comes back as "ok:BODY" (on a two-way route). RAISE_AT_INIT=1 throws at load.
if (process.env.RAISE_AT_INIT === "1") {
  throw new Error("thrown at load on purpose");
}

exports.handler = async (event) => {
  const request = event.requestContext;
  if (request.routeKey === "$connect") {
    if (event.queryStringParameters?.raise === "1") {
      throw new Error("thrown on $connect on purpose");
    }
    return { statusCode: 200 };
  }
  const body = event.body ?? "";
  if (body.includes("raise")) {
    throw new Error("thrown on purpose");
  }
  return { statusCode: 200, body: "ok:" + body };
};
