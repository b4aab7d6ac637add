"""Simulated answers for the collection user tasks: element id → form variables."""

from __future__ import annotations

from doorflow.staff import Answer

ANSWERS: dict[str, Answer] = {
    "DunningPhoneCall": {
        "dunningReason": "客户称项目甲方尚未拨款，资金周转困难",
        "dunningResult": "客户财务承诺两周内支付全部逾期款项",
        "promisedPayDate": "2099-01-15",
    },
    "DunningVisit": {
        "visitedPerson": "客户采购部李经理",
        "dunningReason": "客户对部分门扇的漆面有异议，暂扣尾款",
        "dunningResult": "已约定售后上门处理漆面问题，客户同意处理完毕后付款",
    },
    "LegalAction": {"legalMeasure": "lawyer_letter", "legalComment": "先发律师函，十五日内仍不付款则提起诉讼"},
}
