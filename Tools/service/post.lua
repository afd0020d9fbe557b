-- wrk script: POST the file named by $FOVEA_BODY with $FOVEA_CONTENT_TYPE.
wrk.method = "POST"
wrk.headers["Content-Type"] = os.getenv("FOVEA_CONTENT_TYPE") or "image/png"
local f = assert(io.open(os.getenv("FOVEA_BODY"), "rb"))
wrk.body = f:read("*a")
f:close()
