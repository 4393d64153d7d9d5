//! Synthetic but realistic replies for benchmarks and load tests: Chinese customer-service
//! phrasing assembled from a small vocabulary with a fixed-seed generator, so every run
//! measures the same data. Not shipped content (that lives in `snippets/`).

use crate::NewSnippet;
use quickreply_proto::Part;

const TOPICS: &[&str] = &[
    "发货",
    "物流",
    "快递",
    "退货",
    "换货",
    "退款",
    "尺码",
    "材质",
    "优惠券",
    "满减",
    "包邮",
    "发票",
    "地址",
    "库存",
    "预售",
    "定金",
    "尾款",
    "赠品",
    "质量",
    "售后",
    "安装",
    "保修",
    "颜色",
    "色差",
    "评价",
    "催付",
    "改价",
    "拼单",
    "会员",
    "积分",
    "活动",
    "价保",
    "运费险",
    "破损",
    "少件",
    "错发",
];
const ASPECTS: &[&str] = &[
    "时间",
    "说明",
    "流程",
    "规则",
    "问题",
    "咨询",
    "提醒",
    "安抚",
    "方案",
    "进度",
    "注意事项",
    "政策",
    "怎么办",
    "多久",
    "能不能",
    "费用",
];
const OPENERS: &[&str] = &[
    "亲，",
    "您好，",
    "亲爱的顾客，",
    "亲亲，",
    "感谢您的耐心等待，",
    "不好意思久等了，",
];
const MIDDLES: &[&str] = &[
    "我们会在付款后尽快为您安排",
    "这边已经帮您登记了",
    "麻烦您提供一下订单号和照片",
    "系统显示包裹正在运输途中",
    "本店支持七天无理由退换",
    "现在下单还可以领取店铺优惠券",
    "尺码建议按平时穿的选择",
    "商品都是正品，支持专柜验货",
    "仓库会仔细检查后再发出",
    "退款会按原路退回到您的账户",
    "快递一般三到五天送达",
    "活动期间价格已经是最低了",
];
const CLOSERS: &[&str] = &[
    "，有问题随时联系我哦～",
    "，祝您购物愉快！",
    "，请您放心。",
    "，给您带来不便非常抱歉。",
    "，感谢您的理解与支持！",
    "，还有什么可以帮您的吗？",
];

/// A small, fast, fixed-seed generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

/// `n` replies, deterministic for a given `seed`. Titles are unique (a number is added),
/// every tenth reply has a shortcut code, folders are the topics.
pub fn replies(n: usize, seed: u64) -> Vec<NewSnippet> {
    let mut rng = Rng(seed);
    (0..n)
        .map(|i| {
            let topic = rng.pick(TOPICS);
            let title = format!("{topic}{}{}", rng.pick(ASPECTS), i);
            let body = format!(
                "{}{}{}{}，{}{}",
                rng.pick(OPENERS),
                topic,
                rng.pick(ASPECTS),
                rng.pick(CLOSERS).trim_start_matches('，'),
                rng.pick(MIDDLES),
                rng.pick(CLOSERS)
            );
            NewSnippet {
                title,
                code: (i % 10 == 0).then(|| format!("c{i}")),
                tags: vec![rng.pick(TOPICS).to_string(), rng.pick(ASPECTS).to_string()],
                apps: Vec::new(),
                folder: topic.to_string(),
                parts: vec![Part::Text { body }],
            }
        })
        .collect()
}

/// The queries benchmarks type: Chinese, pinyin, initials, codes, mixed, and misses.
pub const QUERIES: &[&str] = &[
    "发货",
    "fh",
    "tuihuo",
    "退货 流程",
    "yhq",
    "运费险",
    "kuaidi",
    "c120",
    "尺码 shuoming",
    "破损怎么办",
    "th",
    "zzzzz",
    "亲",
    "催付提醒",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_unique_titles() {
        let a = replies(500, 7);
        let b = replies(500, 7);
        assert_eq!(
            a.iter().map(|s| &s.title).collect::<Vec<_>>(),
            b.iter().map(|s| &s.title).collect::<Vec<_>>()
        );
        let mut titles: Vec<_> = a.iter().map(|s| s.title.clone()).collect();
        titles.sort();
        titles.dedup();
        assert_eq!(titles.len(), 500);
    }
}
